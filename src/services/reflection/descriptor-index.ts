/**
 * What server reflection looks things up in: the files of the registered
 * services and their transitive imports, indexed by file name, by symbol
 * and by extension. The files are protobuf-es DescFiles, whose `proto` is
 * the FileDescriptorProto the generated code embeds, so reflection sends
 * the same schema the server runs on (no second representation).
 *
 * Symbols follow protobuf's scoping (descriptor.proto, FileDescriptorProto
 * names): messages, fields, oneofs, enums, services, methods and extensions
 * live under their parent's full name; enum values are siblings of their
 * enum, so "pkg.Enum.VALUE" is spelled "pkg.VALUE".
 */
import {
  type DescEnum,
  type DescExtension,
  type DescFile,
  type DescMessage,
  type DescService,
  toBinary,
} from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";

/** The serialized FileDescriptorProto of each file, made once per file. */
const encoded = new WeakMap<DescFile, Uint8Array>();

/** A FileDescriptorProto in wire format. */
export function encodeFile(file: DescFile): Uint8Array {
  let bytes = encoded.get(file);
  if (bytes === undefined) {
    bytes = toBinary(FileDescriptorProtoSchema, file.proto);
    encoded.set(file, bytes);
  }
  return bytes;
}

/** The .proto path of a file ("grpc/health/v1/health.proto"). */
export function fileName(file: DescFile): string {
  return file.proto.name;
}

function scoped(scope: string, name: string): string {
  return scope === "" ? name : `${scope}.${name}`;
}

export class DescriptorIndex {
  /** By .proto path. */
  readonly files = new Map<string, DescFile>();
  /** Fully qualified symbol -> the file that declares it. */
  readonly symbols = new Map<string, DescFile>();
  /** Message full name -> its message descriptor (for extension requests). */
  readonly messages = new Map<string, DescMessage>();
  /** Extendee full name -> extension number -> the extension. */
  readonly extensions = new Map<string, Map<number, DescExtension>>();
  /** Full names of the services, sorted. */
  readonly serviceNames: readonly string[];

  constructor(services: Iterable<DescService>) {
    const names = new Set<string>();
    for (const service of services) {
      names.add(service.typeName);
      this.#addFile(service.file);
    }
    this.serviceNames = [...names].sort();
  }

  /**
   * `file` and every file it imports, transitively, each once, `file`
   * first (a client builds its registry from the set in any order).
   */
  withDependencies(file: DescFile): Uint8Array[] {
    const out: Uint8Array[] = [];
    const seen = new Set<DescFile>();
    const queue = [file];
    for (let f = queue.shift(); f !== undefined; f = queue.shift()) {
      if (seen.has(f)) continue;
      seen.add(f);
      out.push(encodeFile(f));
      queue.push(...f.dependencies);
    }
    return out;
  }

  #addFile(file: DescFile): void {
    const name = fileName(file);
    if (this.files.has(name)) return;
    this.files.set(name, file);
    const pkg = file.proto.package;
    for (const m of file.messages) this.#addMessage(file, m);
    for (const e of file.enums) this.#addEnum(file, pkg, e);
    for (const x of file.extensions) this.#addExtension(file, x);
    for (const s of file.services) {
      this.symbols.set(s.typeName, file);
      for (const m of s.methods) this.symbols.set(scoped(s.typeName, m.name), file);
    }
    for (const dep of file.dependencies) this.#addFile(dep);
  }

  #addMessage(file: DescFile, message: DescMessage): void {
    this.symbols.set(message.typeName, file);
    this.messages.set(message.typeName, message);
    for (const f of message.fields) this.symbols.set(scoped(message.typeName, f.name), file);
    for (const o of message.oneofs) this.symbols.set(scoped(message.typeName, o.name), file);
    for (const n of message.nestedMessages) this.#addMessage(file, n);
    for (const e of message.nestedEnums) this.#addEnum(file, message.typeName, e);
    for (const x of message.nestedExtensions) this.#addExtension(file, x);
  }

  /** `scope` is the enum's parent (package or message): its values live there. */
  #addEnum(file: DescFile, scope: string, en: DescEnum): void {
    this.symbols.set(en.typeName, file);
    for (const v of en.values) this.symbols.set(scoped(scope, v.name), file);
  }

  #addExtension(file: DescFile, extension: DescExtension): void {
    this.symbols.set(extension.typeName, file);
    const extendee = extension.extendee.typeName;
    let byNumber = this.extensions.get(extendee);
    if (byNumber === undefined) {
      byNumber = new Map();
      this.extensions.set(extendee, byNumber);
    }
    byNumber.set(extension.number, extension);
  }
}
