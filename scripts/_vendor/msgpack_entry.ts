/**
 * What `lib/protocol/vendor/msgpack.js` bundles: the whole of @msgpack/msgpack, ipx's wire
 * codec. Built by `scripts/vendor.ts`.
 *
 * @module
 */

export * from "@msgpack/msgpack";
