// The one error type of the migration machinery, and the message helpers every part uses.

export type { DbProvider } from '../../lib/config';

export type MigrationLog = (msg: string) => void;

/** Any failure of the migration machinery (engine errors, bad input, failed migrations). */
export class MigrationError extends Error {
  /** Prisma error code (e.g. P3009 "found failed migrations") when the engine reported one. */
  readonly code: string | undefined;

  constructor(message: string, code?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MigrationError';
    this.code = code;
  }
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  if (typeof err === 'object' && err !== null) {
    const m = (err as { message?: unknown }).message;
    if (typeof m === 'string') return m;
    try {
      return JSON.stringify(err);
    } catch {
      return String(err);
    }
  }
  return String(err);
}

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^/@]*)@/, '//***@');
}
