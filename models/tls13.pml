/*
 * The TLS 1.3 handshake as implemented by src/tls/client.ts and
 * src/tls/server.ts (docs/MODELS.md): their states, the messages each
 * accepts, HelloRetryRequest, PSK (psk_ke / psk_dhe_ke), client auth
 * (none / request / require), and a network attacker that may drop, delay
 * (reorder) or inject handshake messages.
 *
 * Every ROW(from, message, guard, to) line is one transition of an engine;
 * test/models/models.test.ts parses them (hello_retry_request is a
 * server_hello on the wire) and fails if they differ from CLIENT_TRANSITIONS
 * / SERVER_TRANSITIONS in src/tls/state-table.ts, which the engines check at
 * run time. A message with no ROW is unexpected: the engine goes to FAILED
 * (an alert) and stops. The guard is the engine's check on the message's
 * contents or its configuration; a refused check is also FAILED.
 *
 * Properties (assertions): application data is accepted only once both
 * Finished messages have been verified; every accepted handshake message is
 * in an order RFC 8446 §2 allows, judged by a monitor written from the RFC,
 * not from the table (CLIENT_ORDER / SERVER_ORDER).
 */

#define TAMPERS 1 /* messages dropped or delayed (reordered) */
#define INJECTS 1 /* messages injected */

/* messages: HandshakeType codepoints; HRR and application data are ours */
#define M_CLIENT_HELLO          1
#define M_SERVER_HELLO          2
#define M_HELLO_RETRY_REQUEST   3
#define M_NEW_SESSION_TICKET    4
#define M_ENCRYPTED_EXTENSIONS  8
#define M_CERTIFICATE          11
#define M_CERTIFICATE_REQUEST  13
#define M_CERTIFICATE_VERIFY   15
#define M_FINISHED             20
#define M_APPLICATION_DATA     23

/* message attributes, a bit set */
#define A_SHARE  1  /* ClientHello: a key share for the server's group */
#define A_PSK    2  /* ClientHello: a PSK offered; ServerHello: accepted */
#define A_DHE    4  /* ClientHello: psk_dhe_ke (else psk_ke) */
#define A_EMPTY  8  /* Certificate: no certificate */
#define A_FORGED 16 /* made by the attacker: fails every MAC and signature */

/* client states: CLIENT_STATES */
#define C_WAIT_SERVER_HELLO           0
#define C_WAIT_ENCRYPTED_EXTENSIONS   1
#define C_WAIT_CERTIFICATE_OR_REQUEST 2
#define C_WAIT_CERTIFICATE            3
#define C_WAIT_CERTIFICATE_VERIFY     4
#define C_WAIT_FINISHED               5
#define C_CONNECTED                   6
#define C_FAILED                      7

/* server states: SERVER_STATES */
#define S_WAIT_CLIENT_HELLO              0
#define S_WAIT_CLIENT_HELLO_2            1
#define S_WAIT_CLIENT_CERTIFICATE        2
#define S_WAIT_CLIENT_CERTIFICATE_VERIFY 3
#define S_WAIT_CLIENT_FINISHED           4
#define S_CONNECTED                      5
#define S_FAILED                         6

/* the server's clientAuth */
#define AUTH_NONE    0
#define AUTH_REQUEST 1
#define AUTH_REQUIRE 2

#define ROW(f, msg, g, t) :: st == f && m == msg && (g) -> st = t

chan c2n = [8] of { byte, byte }; /* client -> network */
chan n2s = [8] of { byte, byte }; /* network -> server */
chan s2n = [8] of { byte, byte };
chan n2c = [8] of { byte, byte };

bool client_verified_finished = false; /* the client verified the server's Finished */
bool server_verified_finished = false; /* the server verified the client's Finished */
byte tampers = 0, injects = 0;

#define FORGED ((a & A_FORGED) != 0)
#define EMPTY ((a & A_EMPTY) != 0)

/* Application data (RFC 8446 §2): only under the peer's application keys,
 * i.e. after its Finished verified; forged records fail their MAC. */
#define ON_APPLICATION_DATA(connected, failed) \
  if \
  :: st == connected && !FORGED -> assert(client_verified_finished && server_verified_finished) \
  :: else -> st = failed \
  fi

proctype Client() {
  byte st = C_WAIT_SERVER_HELLO, from, m, a;
  byte offer;            /* the ClientHello's attributes */
  bool hrr = false;      /* a HelloRetryRequest was accepted */
  bool psk = false;      /* the ServerHello accepted our PSK */
  bool requested = false; /* CertificateRequest accepted */
  bool app_sent = false;
  byte prev = 0;         /* the monitor: last server message accepted */
  bool mon_psk = false;

  /* ClientHello (§4.1.2): a key share for the server's group or not (then
   * HRR), a PSK offer or not, in psk_dhe_ke or psk_ke. */
  if :: offer = A_SHARE :: offer = 0 fi;
  if :: offer = offer | A_PSK :: offer = offer | A_PSK | A_DHE :: skip fi;
  c2n!M_CLIENT_HELLO, offer;

end:
  do
  :: atomic { n2c?m, a ->
     from = st;
     if
     :: m == M_APPLICATION_DATA -> ON_APPLICATION_DATA(C_CONNECTED, C_FAILED)
     :: else ->
        if
        /* §4.1.4: at most one HelloRetryRequest */
        ROW(C_WAIT_SERVER_HELLO, M_HELLO_RETRY_REQUEST, !hrr, C_WAIT_SERVER_HELLO)
        /* §4.2.11: a PSK only if offered */
        ROW(C_WAIT_SERVER_HELLO, M_SERVER_HELLO, (a & A_PSK) == 0 || (offer & A_PSK) != 0, C_WAIT_ENCRYPTED_EXTENSIONS)
        ROW(C_WAIT_ENCRYPTED_EXTENSIONS, M_ENCRYPTED_EXTENSIONS, psk, C_WAIT_FINISHED)
        ROW(C_WAIT_ENCRYPTED_EXTENSIONS, M_ENCRYPTED_EXTENSIONS, !psk, C_WAIT_CERTIFICATE_OR_REQUEST)
        ROW(C_WAIT_CERTIFICATE_OR_REQUEST, M_CERTIFICATE_REQUEST, true, C_WAIT_CERTIFICATE)
        /* §4.4.2.4: an empty server Certificate is decode_error */
        ROW(C_WAIT_CERTIFICATE_OR_REQUEST, M_CERTIFICATE, !EMPTY, C_WAIT_CERTIFICATE_VERIFY)
        ROW(C_WAIT_CERTIFICATE, M_CERTIFICATE, !EMPTY, C_WAIT_CERTIFICATE_VERIFY)
        ROW(C_WAIT_CERTIFICATE_VERIFY, M_CERTIFICATE_VERIFY, !FORGED, C_WAIT_FINISHED)
        ROW(C_WAIT_FINISHED, M_FINISHED, !FORGED, C_CONNECTED)
        ROW(C_CONNECTED, M_NEW_SESSION_TICKET, true, C_CONNECTED)
#ifdef MUTANT_FINISHED_AFTER_ENCRYPTED_EXTENSIONS
        ROW(C_WAIT_CERTIFICATE_OR_REQUEST, M_FINISHED, !FORGED, C_CONNECTED)
#endif
        :: else -> st = C_FAILED
        fi;
        if
        :: st != C_FAILED ->
           /* the monitor: RFC 8446 §2 Figures 1-3, server to client */
           assert(
             (m == M_HELLO_RETRY_REQUEST && prev == 0) ||
             (m == M_SERVER_HELLO && (prev == 0 || prev == M_HELLO_RETRY_REQUEST)) ||
             (m == M_ENCRYPTED_EXTENSIONS && prev == M_SERVER_HELLO) ||
             (m == M_CERTIFICATE_REQUEST && prev == M_ENCRYPTED_EXTENSIONS && !mon_psk) ||
             (m == M_CERTIFICATE && (prev == M_ENCRYPTED_EXTENSIONS || prev == M_CERTIFICATE_REQUEST) && !mon_psk) ||
             (m == M_CERTIFICATE_VERIFY && prev == M_CERTIFICATE) ||
             (m == M_FINISHED && ((prev == M_ENCRYPTED_EXTENSIONS && mon_psk) || prev == M_CERTIFICATE_VERIFY)) ||
             (m == M_NEW_SESSION_TICKET && (prev == M_FINISHED || prev == M_NEW_SESSION_TICKET)));
           if :: m == M_SERVER_HELLO -> mon_psk = (a & A_PSK) != 0 :: else -> skip fi;
           prev = m
        :: else -> skip
        fi;
        /* the engine's actions on the transition */
        if
        :: from == C_WAIT_SERVER_HELLO && st == C_WAIT_SERVER_HELLO ->
           hrr = true; offer = offer | A_SHARE; c2n!M_CLIENT_HELLO, offer
        :: from == C_WAIT_SERVER_HELLO && st == C_WAIT_ENCRYPTED_EXTENSIONS -> psk = (a & A_PSK) != 0
        :: from == C_WAIT_CERTIFICATE_OR_REQUEST && st == C_WAIT_CERTIFICATE -> requested = true
        :: from == C_WAIT_FINISHED && st == C_CONNECTED ->
           client_verified_finished = true;
           if
           :: requested ->
              /* §4.4.2: no suitable certificate: an empty one, no CertificateVerify */
              if
              :: c2n!M_CERTIFICATE, A_EMPTY
              :: c2n!M_CERTIFICATE, 0; c2n!M_CERTIFICATE_VERIFY, 0
              fi
           :: else -> skip
           fi;
           c2n!M_FINISHED, 0
        :: else -> skip
        fi
     fi;
     if :: st == C_FAILED -> break :: else -> skip fi;
     m = 0; a = 0; from = 0 }
  :: atomic { st == C_CONNECTED && !app_sent -> app_sent = true; c2n!M_APPLICATION_DATA, 0 }
  od
}

proctype Server() {
  byte st = S_WAIT_CLIENT_HELLO, from, m, a;
  byte auth;
  bool accepts_psk;
  bool psk = false, requested = false, sent = false;
  byte prev = 0, hellos = 0; /* the monitor */
  bool mon_retry = false, mon_requested = false, mon_empty = false;
  if :: auth = AUTH_NONE :: auth = AUTH_REQUEST :: auth = AUTH_REQUIRE fi;
  if :: accepts_psk = true :: accepts_psk = false fi;

/* the ClientHello's PSK is accepted; it needs a key share unless psk_ke */
#define CH_PSK (accepts_psk && (a & A_PSK) != 0)
#define NEEDS_RETRY ((!CH_PSK || (a & A_DHE) != 0) && (a & A_SHARE) == 0)
#define AUTH (!CH_PSK && auth != AUTH_NONE)

end:
  do
  :: atomic { n2s?m, a ->
     from = st;
     if
     :: m == M_APPLICATION_DATA ->
#ifdef MUTANT_APPLICATION_DATA_BEFORE_FINISHED
        if
        :: st == S_WAIT_CLIENT_FINISHED && !FORGED -> assert(client_verified_finished && server_verified_finished)
        :: else -> ON_APPLICATION_DATA(S_CONNECTED, S_FAILED)
        fi
#else
        ON_APPLICATION_DATA(S_CONNECTED, S_FAILED)
#endif
     :: else ->
        if
        /* §4.1.4: no share for the group we choose: HelloRetryRequest */
        ROW(S_WAIT_CLIENT_HELLO, M_CLIENT_HELLO, NEEDS_RETRY, S_WAIT_CLIENT_HELLO_2)
        ROW(S_WAIT_CLIENT_HELLO, M_CLIENT_HELLO, !NEEDS_RETRY && !AUTH, S_WAIT_CLIENT_FINISHED)
        ROW(S_WAIT_CLIENT_HELLO, M_CLIENT_HELLO, !NEEDS_RETRY && AUTH, S_WAIT_CLIENT_CERTIFICATE)
        /* §4.1.2: the second ClientHello must carry the share */
        ROW(S_WAIT_CLIENT_HELLO_2, M_CLIENT_HELLO, !NEEDS_RETRY && !AUTH, S_WAIT_CLIENT_FINISHED)
        ROW(S_WAIT_CLIENT_HELLO_2, M_CLIENT_HELLO, !NEEDS_RETRY && AUTH, S_WAIT_CLIENT_CERTIFICATE)
        ROW(S_WAIT_CLIENT_CERTIFICATE, M_CERTIFICATE, !EMPTY, S_WAIT_CLIENT_CERTIFICATE_VERIFY)
        /* §4.4.2.4: "require" answers an empty Certificate with certificate_required */
        ROW(S_WAIT_CLIENT_CERTIFICATE, M_CERTIFICATE, EMPTY && auth != AUTH_REQUIRE, S_WAIT_CLIENT_FINISHED)
        ROW(S_WAIT_CLIENT_CERTIFICATE_VERIFY, M_CERTIFICATE_VERIFY, !FORGED, S_WAIT_CLIENT_FINISHED)
        ROW(S_WAIT_CLIENT_FINISHED, M_FINISHED, !FORGED, S_CONNECTED)
        :: else -> st = S_FAILED
        fi;
        if
        :: st != S_FAILED ->
           /* the monitor: RFC 8446 §2 Figures 1-3, client to server */
           assert(
             (m == M_CLIENT_HELLO && (hellos == 0 || (hellos == 1 && mon_retry))) ||
             (m == M_CERTIFICATE && prev == M_CLIENT_HELLO && mon_requested) ||
             (m == M_CERTIFICATE_VERIFY && prev == M_CERTIFICATE && !mon_empty) ||
             (m == M_FINISHED && ((prev == M_CLIENT_HELLO && !mon_requested) ||
                                  (prev == M_CERTIFICATE && mon_empty) || prev == M_CERTIFICATE_VERIFY)));
           if :: m == M_CLIENT_HELLO -> hellos++ :: else -> skip fi;
           if :: m == M_CERTIFICATE -> mon_empty = EMPTY :: else -> skip fi;
           mon_retry = (st == S_WAIT_CLIENT_HELLO_2);
           mon_requested = (st == S_WAIT_CLIENT_CERTIFICATE) || (mon_requested && m != M_CLIENT_HELLO);
           prev = m
        :: else -> skip
        fi;
        if
        :: from == S_WAIT_CLIENT_HELLO && st == S_WAIT_CLIENT_HELLO_2 -> s2n!M_HELLO_RETRY_REQUEST, 0
        :: (from == S_WAIT_CLIENT_HELLO || from == S_WAIT_CLIENT_HELLO_2) &&
           (st == S_WAIT_CLIENT_FINISHED || st == S_WAIT_CLIENT_CERTIFICATE) ->
           /* our flight: ServerHello ... Finished (§2) */
           psk = CH_PSK; requested = AUTH;
           s2n!M_SERVER_HELLO, (psk -> A_PSK : 0);
           s2n!M_ENCRYPTED_EXTENSIONS, 0;
           if :: requested -> s2n!M_CERTIFICATE_REQUEST, 0 :: else -> skip fi;
           if :: !psk -> s2n!M_CERTIFICATE, 0; s2n!M_CERTIFICATE_VERIFY, 0 :: else -> skip fi;
           s2n!M_FINISHED, 0
        :: from == S_WAIT_CLIENT_FINISHED && st == S_CONNECTED ->
           server_verified_finished = true;
           s2n!M_NEW_SESSION_TICKET, 0
        :: else -> skip
        fi
     fi;
     if :: st == S_FAILED -> break :: else -> skip fi;
     m = 0; a = 0; from = 0 }
  :: atomic { st == S_CONNECTED && !sent -> sent = true; s2n!M_APPLICATION_DATA, 0 }
  od
}

/* The network: delivers in order, but TAMPERS times drops a message or
 * holds one back to deliver it later (reordering), and INJECTS times sends a
 * forged message of any type to either peer. */
proctype Network() {
  byte m, a, hm, ha, hdir = 0; /* the held message; hdir 1: to the server, 2: to the client */
end:
  do
  :: atomic { c2n?m, a ->
     if
     :: n2s!m, a
     :: tampers < TAMPERS -> tampers++ /* dropped */
     :: tampers < TAMPERS && hdir == 0 -> tampers++; hm = m; ha = a; hdir = 1
     fi;
     m = 0; a = 0 }
  :: atomic { s2n?m, a ->
     if
     :: n2c!m, a
     :: tampers < TAMPERS -> tampers++
     :: tampers < TAMPERS && hdir == 0 -> tampers++; hm = m; ha = a; hdir = 2
     fi;
     m = 0; a = 0 }
  :: atomic { hdir == 1 -> n2s!hm, ha; hdir = 0; hm = 0; ha = 0 }
  :: atomic { hdir == 2 -> n2c!hm, ha; hdir = 0; hm = 0; ha = 0 }
  :: atomic { injects < INJECTS -> injects++;
     /* every type, with the attributes its receiver looks at */
     if
     :: m = M_CLIENT_HELLO; a = A_FORGED
     :: m = M_CLIENT_HELLO; a = A_FORGED | A_SHARE
     :: m = M_CLIENT_HELLO; a = A_FORGED | A_SHARE | A_PSK | A_DHE
     :: m = M_SERVER_HELLO; a = A_FORGED
     :: m = M_SERVER_HELLO; a = A_FORGED | A_PSK
     :: m = M_HELLO_RETRY_REQUEST; a = A_FORGED
     :: m = M_NEW_SESSION_TICKET; a = A_FORGED
     :: m = M_ENCRYPTED_EXTENSIONS; a = A_FORGED
     :: m = M_CERTIFICATE; a = A_FORGED
     :: m = M_CERTIFICATE; a = A_FORGED | A_EMPTY
     :: m = M_CERTIFICATE_REQUEST; a = A_FORGED
     :: m = M_CERTIFICATE_VERIFY; a = A_FORGED
     :: m = M_FINISHED; a = A_FORGED
     :: m = M_APPLICATION_DATA; a = A_FORGED
     fi;
     if :: n2s!m, a :: n2c!m, a fi;
     m = 0; a = 0 }
  od
}

init {
  atomic { run Client(); run Server(); run Network() }
}
