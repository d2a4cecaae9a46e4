// The signed token of an e-mailed link (?token=...), taken out of the address bar once read, so it is not left in
// the history or shown on screen. Shared by the verification and unsubscribe pages.

export function takeToken(params: URLSearchParams): string {
  const token = params.get("token") ?? "";
  if (token) history.replaceState(null, "", location.pathname);
  return token;
}
