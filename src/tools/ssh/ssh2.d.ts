// ssh2 comes with node-ssh and has no types here (@types/ssh2 is not a dependency). This is the
// slice of its utils the project uses: key generation (keygen.ts) and key parsing (the hostile-node
// test fixture, whose ssh2-server.d.ts adds the server side to the same namespace).
declare module 'ssh2' {
  export namespace ssh2 {
    interface ParsedKey {
      type: string;
      getPublicSSH(): Buffer;
    }
    const utils: {
      /** An OpenSSH-format key pair; `public` is one authorized_keys line. */
      generateKeyPairSync(type: 'ed25519', options?: { comment?: string }): { private: string; public: string };
      parseKey(data: string): ParsedKey | ParsedKey[] | Error;
    };
  }
  export default ssh2;
}
