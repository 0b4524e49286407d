declare module 'pgpass' {
  interface PgpassConnection {
    host?: string;
    port?: string;
    database?: string;
    user?: string;
  }
  function pgpass(connection: PgpassConnection, callback: (password?: string) => void): void;
  export default pgpass;
}
