import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Clock } from '../../hub/config/clock.js';

/**
 * Server-sent events for the dashboard (`/api/public/events`). The stream says
 * only that something happened (`released`: new figures are out) and that the
 * hub is alive (`ping`); pages then fetch the figures like any reader. A `ping`
 * is an event, not a comment, because browsers hide comments from scripts and
 * a screen can only tell a dead link by the pings it stops getting. The ping
 * timer runs only while someone is connected, so an idle hub does no work.
 */

export interface LiveEvents {
  attach(request: IncomingMessage, response: ServerResponse): void;
  broadcast(event: string, data: unknown): void;
  closeAll(): void;
}

/** At most this many open streams; a browser opening more gets 503 and retries later. */
const MAX_CLIENTS = 200;

export function createLiveEvents(options: { clock: Clock; pingSeconds: number; /** Called before each ping, while someone listens. */ beforePing?: () => void }): LiveEvents {
  const open = new Set<ServerResponse>();
  let timer: NodeJS.Timeout | null = null;

  const frame = (event: string, data: unknown) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  const send = (response: ServerResponse, text: string) => {
    if (!response.writableEnded) response.write(text);
  };
  const ping = () => {
    try {
      options.beforePing?.();
    } catch {
      // A failing extra must not stop the pings that tell screens the hub is alive.
    }
    const text = frame('ping', { at: new Date(options.clock.now()).toISOString() });
    for (const response of open) send(response, text);
  };
  const updateTimer = () => {
    if (open.size > 0 && !timer) {
      timer = setInterval(ping, options.pingSeconds * 1000);
      timer.unref();
    } else if (open.size === 0 && timer) {
      clearInterval(timer);
      timer = null;
    }
  };

  return {
    attach(request, response) {
      if (open.size >= MAX_CLIENTS) {
        response.writeHead(503, { 'content-type': 'text/plain; charset=utf-8', 'retry-after': '60' });
        response.end('too many live connections; try again in a minute');
        return;
      }
      response.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // retry: how long a browser waits before reconnecting on its own after a drop.
      send(response, `retry: 5000\n${frame('hello', { at: new Date(options.clock.now()).toISOString(), pingSeconds: options.pingSeconds })}`);
      open.add(response);
      updateTimer();
      const close = () => {
        open.delete(response);
        updateTimer();
      };
      request.on('close', close);
      response.on('error', close);
    },
    broadcast(event, data) {
      const text = frame(event, data);
      for (const response of open) send(response, text);
    },
    closeAll() {
      for (const response of open) response.end();
      open.clear();
      updateTimer();
    },
  };
}
