/** Builds a database URL from an app's separate settings (host, port, user...), for fromUrl to parse like any other. */
import { isAbsolute, resolve } from 'node:path';

export interface ConnectionParts {
  /** 'postgres' or 'sqlite'; anything else is refused by the caller with the app's own word for it. */
  kind: 'postgres' | 'sqlite';
  host?: string;
  port?: string | number;
  database?: string;
  user?: string;
  password?: string;
}

export function partsToUrl(parts: ConnectionParts, baseDir: string): string {
  if (parts.kind === 'sqlite') {
    const file = parts.database ?? '';
    return `sqlite:${isAbsolute(file) ? file : resolve(baseDir, file)}`;
  }
  const auth = parts.user ? `${encodeURIComponent(parts.user)}${parts.password ? `:${encodeURIComponent(parts.password)}` : ''}@` : '';
  const socket = parts.host?.startsWith('/');
  const host = !parts.host || socket ? 'localhost' : parts.host.includes(':') ? `[${parts.host}]` : parts.host;
  const port = parts.port !== undefined && String(parts.port) !== '' ? `:${parts.port}` : '';
  const query = socket ? `?host=${encodeURIComponent(parts.host!)}` : '';
  return `postgres://${auth}${host}${port}/${encodeURIComponent(parts.database ?? '')}${query}`;
}

/** The adapter/driver word each framework uses, to ours; undefined = a database healfix does not speak. */
export function kindOfAdapter(adapter: string | undefined): ConnectionParts['kind'] | undefined {
  const a = (adapter ?? '').toLowerCase();
  if (/^(postgres(ql)?|pgsql|postgis|pg|django\.db\.backends\.postgresql(_psycopg2)?|django\.contrib\.gis\.db\.backends\.postgis)$/.test(a)) return 'postgres';
  if (/^(sqlite3?|django\.db\.backends\.sqlite3)$/.test(a)) return 'sqlite';
  return undefined;
}
