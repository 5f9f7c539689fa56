// gauntlet's reporter for node's test runner: every event as one JSON line,
// errors flattened to their message, stack and cause's stack.
function plain(err) {
  if (err === null || typeof err !== "object") return err;
  const cause = err.cause;
  return {
    message: String(err.message ?? err),
    stack: typeof err.stack === "string" ? err.stack : undefined,
    cause: cause && typeof cause === "object"
      ? { message: String(cause.message ?? cause), stack: typeof cause.stack === "string" ? cause.stack : undefined }
      : cause === undefined ? undefined : { message: String(cause) },
  };
}

export default async function* gauntletReporter(source) {
  for await (const event of source) {
    const data = { ...event.data };
    if (data.details && data.details.error) {
      data.details = { ...data.details, error: plain(data.details.error) };
    }
    yield JSON.stringify({ type: event.type, data }) + "\n";
  }
}
