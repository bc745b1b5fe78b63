export interface SseFrame {
  event?: string;
  id?: string;
  data?: string;
}

/** An open Server-Sent Events response, read in the background: its frames and its comment lines. */
export interface SseStream {
  status: number;
  headers: Headers;
  frames: SseFrame[];
  comments: string[];
  /** True once the server ended the response. */
  ended: boolean;
  close(): void;
}

/** Opens an SSE stream with fetch and parses it as the EventSource spec does (fields, comments, blank-line ends). */
export async function openSse(url: string, token: string): Promise<SseStream> {
  const abort = new AbortController();
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}`, accept: 'text/event-stream' }, signal: abort.signal });
  const stream: SseStream = {
    status: response.status,
    headers: response.headers,
    frames: [],
    comments: [],
    ended: false,
    close: () => abort.abort(),
  };
  if (!response.body) return stream;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  void (async () => {
    let buffer = '';
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buffer += value;
        let end: number;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const frame: SseFrame = {};
          for (const line of block.split('\n')) {
            if (line.startsWith(':')) stream.comments.push(line.slice(1).trim());
            else {
              const colon = line.indexOf(':');
              const field = line.slice(0, colon);
              const text = line.slice(colon + 1).replace(/^ /, '');
              if (field === 'event' || field === 'id' || field === 'data') frame[field] = text;
            }
          }
          if (Object.keys(frame).length > 0) stream.frames.push(frame);
        }
      }
    } catch {
      // aborted by close()
    }
    stream.ended = true;
  })();
  return stream;
}
