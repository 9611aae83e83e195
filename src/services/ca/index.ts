/** pqrpc.ca.v1.CertificateAuthority: short-lived certificates from CSRs, and the renewer that keeps one fresh. */
export { CertificateAuthority } from "../../gen/pqrpc/ca/v1/ca_pb.ts";
export {
  addCertificateAuthorityService,
  type CertificateAuthorityOptions,
  createCertificateAuthorityHandlers,
  DEFAULT_CA_CERTIFICATE_LIFETIME_SECONDS,
  type IssuedEvent,
} from "./ca-service.ts";
export { type EnrollmentGrant, EnrollmentTokenError, EnrollmentTokens } from "./enrollment-tokens.ts";
export {
  CertificateRenewer,
  type CertificateRenewerOptions,
  createCertificateRenewer,
  DEFAULT_RENEW_AT_FRACTION,
  type RenewedIdentity,
} from "./renewer.ts";
