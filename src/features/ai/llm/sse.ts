// Server-sent events (text/event-stream) parsed from a byte stream: the wire format of OpenAI's
// and Workers AI's streaming responses. https://html.spec.whatwg.org/multipage/server-sent-events.html

export interface SSEMessage {
  /** The `event:` field; null when the message had none (the spec's "message"). */
  event: string | null;
  /** The `data:` lines joined with "\n". */
  data: string;
}

/** At most this much text without a line break: a misbehaving upstream cannot fill memory. */
const MAX_LINE_CHARS = 1024 * 1024;
const LINE_END = /\r\n|\r|\n/;

/**
 * Yields each complete event. Stopping early (break, return, a throw in the consumer) cancels the
 * body, which aborts the upstream request.
 */
export async function* parseSSE(body: ReadableStream<Uint8Array>): AsyncGenerator<SSEMessage> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event: string | null = null;
  let data: string[] = [];
  let isFinished = false;

  /** Applies one line; returns the event it completes, if any. */
  const takeLine = (line: string): SSEMessage | null => {
    if (line === "") {
      const message = data.length > 0 ? { event, data: data.join("\n") } : null;
      event = null;
      data = [];
      return message;
    }
    if (line.startsWith(":")) return null; // a comment (keep-alive)
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    const value = colon === -1 ? "" : line.slice(colon + 1).replace(/^ /, "");
    if (field === "event") event = value;
    else if (field === "data") data.push(value);
    return null;
  };

  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      for (let newline = buffer.search(LINE_END); newline !== -1; newline = buffer.search(LINE_END)) {
        // A "\r" at the very end may be the first half of "\r\n": wait for the next chunk.
        if (buffer[newline] === "\r" && newline === buffer.length - 1) break;
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + (buffer.startsWith("\r\n", newline) ? 2 : 1));
        const message = takeLine(line);
        if (message) yield message;
      }
      if (buffer.length > MAX_LINE_CHARS) throw new Error("An SSE line is longer than 1 MiB.");
    }
    isFinished = true;
    // The stream ended without the final blank line: what was gathered is still an event.
    for (const line of [buffer.replace(/\r$/, ""), ""]) {
      const message = takeLine(line);
      if (message) yield message;
    }
  } finally {
    if (!isFinished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
