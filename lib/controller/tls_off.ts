/**
 * What running without TLS means, said once at the start of every command that runs a
 * controller with `--no-tls` (`ipx controller`, `ipx cluster start`, with or without
 * `--daemon`, and `ipx repl --local`). Kept free of imports, so that commands can print it
 * before they load the controller.
 *
 * @module
 */

/** The warning shown at start when TLS is off. */
export const TLS_OFF_WARNING =
  "TLS is OFF (--no-tls): traffic, including code and data, travels in plain text; " +
  "frames are still authenticated. Use only on a trusted network";
