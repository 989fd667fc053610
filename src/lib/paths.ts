import path from 'node:path';

/** Where the compiled service lives: dist/lib → project root (src/lib under ts-node and Jest alike). */
export const PROJECT_ROOT = path.resolve(__dirname, '..', '..');
