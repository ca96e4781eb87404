/**
 * Prisma 7 CLI configuration of the examples: where the schema is. `prisma generate` needs no
 * database URL; nothing here holds one, and the running client gets its connections from dataverk.
 */
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'schema.prisma',
});
