/**
 * A config reload that was refused, applying nothing. Its own module so that embedders can import it without
 * loading the reload code itself, which is loaded on the first reload.
 */
export class ReloadError extends Error {
  override readonly name = "ReloadError";
}
