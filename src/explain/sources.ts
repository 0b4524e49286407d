import type { PasteSource } from './types.js';

const SIGNATURES: [PasteSource, RegExp][] = [
  ['psycopg2', /psycopg2?\b|psycopg\.errors|\bpsycopg\b/i],
  ['sqlalchemy', /sqlalchemy\.(?:exc|orm)|\(Background on this error at: https?:\/\/sqlalche\.me/i],
  ['django', /django\.db\.utils\.|django\.core\.|\bdjango\//i],
  ['rails', /ActiveRecord::|PG::[A-Z][A-Za-z]+|\bRails\b|Completed \d{3} .* in \d+ms/],
  ['prisma', /PrismaClient\w*Error|\bP20\d\d\b|prisma\.\w+\.\w+\(\)/],
  ['node-postgres', /node_modules\/pg(?:-pool|-protocol)?\/|\bat Parser\.parseErrorMessage|severity: '[A-Z]+',|\bconnect ECONNREFUSED\b/],
  ['postgres-log', /^(?:\S+ \S+(?: [A-Z]{2,5})? )?\[\d+\](?: \S+)? (?:ERROR|FATAL|LOG|DETAIL|STATEMENT):|^\s*(?:ERROR|FATAL):\s{1,2}\S/m],
  ['flask', /\[ERROR [0-9a-f]{6,}\]|werkzeug|\bflask\b|\] "(?:GET|POST|PUT|PATCH|DELETE) \S+ HTTP\/1\.\d" \d{3} -/i],
  ['sqlite', /sqlite3\.|SQLITE_\w+|UNIQUE constraint failed:/],
  ['http', /\bHTTP\/\d(?:\.\d)? \d{3}\b|^\s*(?:< )?HTTP\/|\b(?:GET|POST|PUT|PATCH|DELETE) \/\S*/m],
];

/** Sources the text itself names or whose shape it has; never inferred from the error alone. */
export function detectSources(text: string): PasteSource[] {
  return SIGNATURES.filter(([, re]) => re.test(text)).map(([source]) => source);
}
