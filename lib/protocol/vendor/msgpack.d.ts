/**
 * Types of `msgpack.js`, the bundled @msgpack/msgpack (see `scripts/vendor.ts`): the package's
 * own declarations.
 *
 * @module
 */

export * from "@msgpack/msgpack";
