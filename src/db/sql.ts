/** A double-quoted SQL identifier (SQLite and PostgreSQL alike): embedded quotes doubled. */
export function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}
