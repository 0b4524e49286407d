// SQL quoting shared by PostgreSQL and SQLite code (both use double-quoted identifiers).

/** Quotes an identifier for SQL built from catalog names: "My""Table". */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

export function qualified(schema: string, name: string): string {
  return `${quoteIdent(schema)}.${quoteIdent(name)}`;
}

/** Quotes a string literal. */
export function quoteLiteral(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
