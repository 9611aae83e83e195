/*
 * pqrpc/1 between a client and a server (docs/MODELS.md, SPEC §Streams,
 * §Flow control, §Graceful shutdown). Each peer keeps its own copy of every
 * stream's state and moves it with the same table, on send and on receive,
 * as src/protocol/frames/stream-state.ts does. The table below is
 * STREAM_TRANSITIONS: test/models/models.test.ts parses every T(...) and
 * V(...) line and fails if it differs from the exported table.
 *
 * Every execution is finite (spin -DNP, ./pan -l finds no cycle), so with
 * the assertions at the end of Client every stream ends on every path.
 *
 * Bounds (all scaled): N streams, REQ_BYTES / RESP_BYTES bytes per direction
 * per stream, sent in 1-byte MESSAGE frames; windows start at W_STREAM and
 * W_CONN and MAXW stands for 2^31-1 (RFC 9113 §6.9.1): every WINDOW_UPDATE
 * is checked against it with the same arithmetic as the code.
 */

#define N          2   /* streams: ids 1 and 3, indices 0 and 1 */
#define REQ_BYTES  2
#define RESP_BYTES 1
#define W_STREAM   1
#define W_CONN     1
#define MAXW       2   /* 2^31-1, scaled: above every window an honest peer grants */
#define CANCELS    1   /* application resets (RST CANCEL), both peers together */

/* stream states: STREAM_STATES */
#define S_IDLE                     0
#define S_OPEN                     1
#define S_RESPONDING               2
#define S_REQUEST_ENDED            3
#define S_REQUEST_ENDED_RESPONDING 4
#define S_CLOSED                   5
#define NS 6

/* stream events: STREAM_INPUTS; then the connection's frames */
#define E_REQUEST_HEADERS     0
#define E_REQUEST_HEADERS_END 1
#define E_REQUEST_MESSAGE     2
#define E_REQUEST_END         3
#define E_RESPONSE_HEADERS    4
#define E_RESPONSE_MESSAGE    5
#define E_TRAILERS            6
#define E_RST                 7
#define NE 8
#define F_WINDOW_UPDATE       8
#define F_GOAWAY              9

/* error codes (SPEC §Error codes) */
#define PROTOCOL_ERROR 1
#define STREAM_CLOSED  5
#define REFUSED_STREAM 7
#define CANCEL         8

#define VIOL 16  /* a table entry >= VIOL is the stream error VIOL + code */
#define CONN 255 /* the stream index of a connection-level WINDOW_UPDATE */

/* how the client saw a stream end */
#define R_NONE     0
#define R_TRAILERS 1
#define R_CANCELED 2 /* its own RST */
#define R_RESET    3 /* the server's RST CANCEL */
#define R_REFUSED  4 /* past the server's GOAWAY, or RST REFUSED_STREAM */

byte tab[NS * NE];
#define T(s, e, t) tab[(s) * NE + (e)] = (t)
#define V(s, e, c) tab[(s) * NE + (e)] = VIOL + (c)

inline stream_table() {
  T(S_IDLE, E_REQUEST_HEADERS, S_OPEN);
  T(S_IDLE, E_REQUEST_HEADERS_END, S_REQUEST_ENDED);
  V(S_IDLE, E_REQUEST_MESSAGE, PROTOCOL_ERROR);
  V(S_IDLE, E_REQUEST_END, PROTOCOL_ERROR);
  V(S_IDLE, E_RESPONSE_HEADERS, PROTOCOL_ERROR);
  V(S_IDLE, E_RESPONSE_MESSAGE, PROTOCOL_ERROR);
  V(S_IDLE, E_TRAILERS, PROTOCOL_ERROR);
  V(S_IDLE, E_RST, PROTOCOL_ERROR);
  V(S_OPEN, E_REQUEST_HEADERS, PROTOCOL_ERROR);
  V(S_OPEN, E_REQUEST_HEADERS_END, PROTOCOL_ERROR);
  T(S_OPEN, E_REQUEST_MESSAGE, S_OPEN);
  T(S_OPEN, E_REQUEST_END, S_REQUEST_ENDED);
  T(S_OPEN, E_RESPONSE_HEADERS, S_RESPONDING);
  V(S_OPEN, E_RESPONSE_MESSAGE, PROTOCOL_ERROR);
  T(S_OPEN, E_TRAILERS, S_CLOSED);
  T(S_OPEN, E_RST, S_CLOSED);
  V(S_RESPONDING, E_REQUEST_HEADERS, PROTOCOL_ERROR);
  V(S_RESPONDING, E_REQUEST_HEADERS_END, PROTOCOL_ERROR);
  T(S_RESPONDING, E_REQUEST_MESSAGE, S_RESPONDING);
  T(S_RESPONDING, E_REQUEST_END, S_REQUEST_ENDED_RESPONDING);
  V(S_RESPONDING, E_RESPONSE_HEADERS, PROTOCOL_ERROR);
  T(S_RESPONDING, E_RESPONSE_MESSAGE, S_RESPONDING);
  T(S_RESPONDING, E_TRAILERS, S_CLOSED);
  T(S_RESPONDING, E_RST, S_CLOSED);
  V(S_REQUEST_ENDED, E_REQUEST_HEADERS, PROTOCOL_ERROR);
  V(S_REQUEST_ENDED, E_REQUEST_HEADERS_END, PROTOCOL_ERROR);
  V(S_REQUEST_ENDED, E_REQUEST_MESSAGE, STREAM_CLOSED);
  V(S_REQUEST_ENDED, E_REQUEST_END, STREAM_CLOSED);
  T(S_REQUEST_ENDED, E_RESPONSE_HEADERS, S_REQUEST_ENDED_RESPONDING);
  V(S_REQUEST_ENDED, E_RESPONSE_MESSAGE, PROTOCOL_ERROR);
  T(S_REQUEST_ENDED, E_TRAILERS, S_CLOSED);
  T(S_REQUEST_ENDED, E_RST, S_CLOSED);
  V(S_REQUEST_ENDED_RESPONDING, E_REQUEST_HEADERS, PROTOCOL_ERROR);
  V(S_REQUEST_ENDED_RESPONDING, E_REQUEST_HEADERS_END, PROTOCOL_ERROR);
  V(S_REQUEST_ENDED_RESPONDING, E_REQUEST_MESSAGE, STREAM_CLOSED);
  V(S_REQUEST_ENDED_RESPONDING, E_REQUEST_END, STREAM_CLOSED);
  V(S_REQUEST_ENDED_RESPONDING, E_RESPONSE_HEADERS, PROTOCOL_ERROR);
  T(S_REQUEST_ENDED_RESPONDING, E_RESPONSE_MESSAGE, S_REQUEST_ENDED_RESPONDING);
  T(S_REQUEST_ENDED_RESPONDING, E_TRAILERS, S_CLOSED);
  T(S_REQUEST_ENDED_RESPONDING, E_RST, S_CLOSED);
  T(S_CLOSED, E_REQUEST_HEADERS, S_CLOSED);
  T(S_CLOSED, E_REQUEST_HEADERS_END, S_CLOSED);
  T(S_CLOSED, E_REQUEST_MESSAGE, S_CLOSED);
  T(S_CLOSED, E_REQUEST_END, S_CLOSED);
  T(S_CLOSED, E_RESPONSE_HEADERS, S_CLOSED);
  T(S_CLOSED, E_RESPONSE_MESSAGE, S_CLOSED);
  T(S_CLOSED, E_TRAILERS, S_CLOSED);
  T(S_CLOSED, E_RST, S_CLOSED);
}

/* A frame: event, stream index (or CONN), and a number: MESSAGE length,
 * WINDOW_UPDATE increment, RST code, GOAWAY's last stream (as a count of
 * stream indices: streams with index < last may finish). TCP: reliable, in
 * order; the capacity is more than the bounds can put in flight. */
chan c2s = [12] of { byte, byte, byte };
chan s2c = [12] of { byte, byte, byte };

byte cancels = 0;
bool client_done = false;

/* Both peers apply a frame to their copy with this; a peer that is not
 * hostile never makes the other answer with a stream error. */
#define APPLY(st, i, ev) \
  assert(tab[st[i] * NE + (ev)] < VIOL); \
  st[i] = tab[st[i] * NE + (ev)]

#define IN_WINDOW(w) (w >= 0 && w <= MAXW)

/* A WINDOW_UPDATE received (RFC 9113 §6.9.1): a window above 2^31-1 is a
 * FLOW_CONTROL_ERROR; the honest peer must never cause one. A stream's
 * update after it closed is ignored. */
#define ON_WINDOW_UPDATE(st, sw, scw, i, inc) \
  if \
  :: i == CONN -> assert(scw + inc <= MAXW); scw = scw + inc \
  :: else -> \
     if \
     :: st[i] != S_CLOSED -> assert(sw[i] + inc <= MAXW); sw[i] = sw[i] + inc \
     :: else -> skip \
     fi \
  fi; \
  assert(IN_WINDOW(scw))

/* MESSAGE bytes received: counted against the connection window even on a
 * closed stream (SPEC §Streams), against the stream's only while it is open.
 * The application consumes them at once and the credit goes back in the same
 * step (the frames are in flight: the sender sees them later). */
#ifdef MUTANT_DOUBLE_CREDIT
#define CREDIT_BACK(c) (2 * (c))
#else
#define CREDIT_BACK(c) (c)
#endif
#define ON_MESSAGE_BYTES(out, st, rw, rcw, i, num) \
  assert(num <= rcw); rcw = rcw - num; assert(IN_WINDOW(rcw)); \
  out!F_WINDOW_UPDATE, CONN, CREDIT_BACK(num); rcw = rcw + num; \
  if \
  :: st[i] != S_CLOSED -> \
     assert(num <= rw[i]); rw[i] = rw[i] - num; assert(IN_WINDOW(rw[i])); \
     out!F_WINDOW_UPDATE, i, CREDIT_BACK(num); rw[i] = rw[i] + num \
  :: else -> skip \
  fi

#define MIN(a, b) (a < b -> a : b)

/* The client's steps on stream k: request bytes within both windows (SPEC
 * §Flow control), the application's cancel. */
#define CLIENT_STREAM(k) \
  :: atomic { (st[k] == S_OPEN || st[k] == S_RESPONDING) && sent[k] < REQ_BYTES && MIN(sw[k], scw) > 0 -> \
     sw[k]--; scw--; sent[k]++; \
     assert(IN_WINDOW(sw[k]) && IN_WINDOW(scw)); \
     if \
     :: sent[k] < REQ_BYTES -> APPLY(st, k, E_REQUEST_MESSAGE); c2s!E_REQUEST_MESSAGE, k, 1 \
     :: else -> APPLY(st, k, E_REQUEST_END); c2s!E_REQUEST_END, k, 1 \
     fi } \
  :: atomic { st[k] != S_IDLE && st[k] != S_CLOSED && cancels < CANCELS -> \
     cancels++; APPLY(st, k, E_RST); c2s!E_RST, k, CANCEL; result[k] = R_CANCELED }

/* The server's steps on stream k: response HEADERS, bytes within both
 * windows, TRAILERS when the handler returns (possibly before the request
 * ended), the handler's cancel. */
#define SERVER_STREAM(k) \
  :: atomic { st[k] == S_OPEN || st[k] == S_REQUEST_ENDED -> \
     APPLY(st, k, E_RESPONSE_HEADERS); s2c!E_RESPONSE_HEADERS, k, 0 } \
  :: atomic { (st[k] == S_RESPONDING || st[k] == S_REQUEST_ENDED_RESPONDING) && sent[k] < RESP_BYTES && MIN(sw[k], scw) > 0 -> \
     sw[k]--; scw--; sent[k]++; \
     assert(IN_WINDOW(sw[k]) && IN_WINDOW(scw)); \
     APPLY(st, k, E_RESPONSE_MESSAGE); s2c!E_RESPONSE_MESSAGE, k, 1 } \
  :: atomic { (st[k] == S_RESPONDING || st[k] == S_REQUEST_ENDED_RESPONDING) && sent[k] == RESP_BYTES -> \
     APPLY(st, k, E_TRAILERS); s2c!E_TRAILERS, k, 0 } \
  :: atomic { st[k] != S_IDLE && st[k] != S_CLOSED && cancels < CANCELS -> \
     cancels++; APPLY(st, k, E_RST); s2c!E_RST, k, CANCEL }

proctype Client() {
  byte st[N];               /* S_IDLE */
  short sw[N], scw = W_CONN; /* the server's windows for our request bytes */
  short rw[N], rcw = W_CONN; /* our windows for response bytes */
  byte sent[N], got[N], result[N];
  byte next = 0;            /* streams opened */
  bool goaway = false;
  byte last = N;            /* GOAWAY's last, as a count of indices */
  byte i, ev, num;
  for (i : 0 .. N - 1) { sw[i] = W_STREAM; rw[i] = W_STREAM }

  do
  /* a new call, unless GOAWAY arrived (SPEC §Graceful shutdown) */
  :: atomic { next < N && !goaway ->
     if
     :: APPLY(st, next, E_REQUEST_HEADERS); c2s!E_REQUEST_HEADERS, next, 0
     :: APPLY(st, next, E_REQUEST_HEADERS_END); c2s!E_REQUEST_HEADERS_END, next, 0; sent[next] = REQ_BYTES
     fi;
     next++ }
  CLIENT_STREAM(0)
  CLIENT_STREAM(1)
  :: atomic { s2c?ev, i, num ->
     if
     :: ev == F_WINDOW_UPDATE -> ON_WINDOW_UPDATE(st, sw, scw, i, num)
     :: ev == F_GOAWAY ->
        /* Streams past last were never processed: refused, safe to retry. */
        goaway = true; last = num;
        for (i : 0 .. N - 1) {
          if
#ifdef MUTANT_GOAWAY_REFUSES_IN_FLIGHT
          :: i + 1 >= last && st[i] != S_IDLE && st[i] != S_CLOSED -> st[i] = S_CLOSED; result[i] = R_REFUSED
#else
          :: i >= last && st[i] != S_IDLE && st[i] != S_CLOSED -> st[i] = S_CLOSED; result[i] = R_REFUSED
#endif
          :: else -> skip
          fi
        }
     :: ev < NE ->
        if
        :: ev == E_RESPONSE_MESSAGE -> ON_MESSAGE_BYTES(c2s, st, rw, rcw, i, num)
        :: else -> skip
        fi;
        if
        :: st[i] != S_CLOSED && ev == E_TRAILERS -> result[i] = R_TRAILERS
        :: st[i] != S_CLOSED && ev == E_RST && num == REFUSED_STREAM -> result[i] = R_REFUSED
        :: st[i] != S_CLOSED && ev == E_RST && num != REFUSED_STREAM -> result[i] = R_RESET
        :: else -> skip
        fi;
        APPLY(st, i, ev)
     fi;
     i = 0; ev = 0; num = 0 }
#ifdef MUTANT_IDLE_WINDOW_UPDATES
  /* a client that keeps sending empty WINDOW_UPDATEs while a call is open: no progress, forever */
  :: atomic { st[0] != S_IDLE && st[0] != S_CLOSED -> c2s!F_WINDOW_UPDATE, CONN, 0 }
#endif
  /* done: every call it started has ended */
  :: (next == N || goaway) && (next < 1 || st[0] == S_CLOSED) && (next < 2 || st[1] == S_CLOSED) -> break
  od;
  /* Every stream ends, and GOAWAY lets the calls up to last finish: only a
   * stream past last is refused (and one that was, is past last). */
  for (i : 0 .. next - 1) {
    assert(result[i] != R_NONE);
    assert((result[i] == R_REFUSED) == (goaway && i >= last) || result[i] == R_CANCELED || result[i] == R_RESET);
    assert(result[i] != R_REFUSED || (goaway && i >= last))
  }
  client_done = true
}

proctype Server() {
  byte st[N];
  short sw[N], scw = W_CONN; /* the client's windows for our response bytes */
  short rw[N], rcw = W_CONN; /* our windows for request bytes */
  byte sent[N];
  byte seen = 0;            /* highest stream index received, plus one */
  bool goaway = false;
  byte last = N;
  byte i, ev, num;
  for (i : 0 .. N - 1) { sw[i] = W_STREAM; rw[i] = W_STREAM }

  do
  :: atomic { c2s?ev, i, num ->
     if
     :: ev == F_WINDOW_UPDATE -> ON_WINDOW_UPDATE(st, sw, scw, i, num)
     :: ev == E_REQUEST_HEADERS || ev == E_REQUEST_HEADERS_END ->
        APPLY(st, i, ev);
        if
        :: goaway && i >= last ->
           /* after GOAWAY: refused, not processed */
           APPLY(st, i, E_RST); s2c!E_RST, i, REFUSED_STREAM
        :: else -> seen = i + 1
        fi
     :: ev == E_REQUEST_MESSAGE || ev == E_REQUEST_END ->
        ON_MESSAGE_BYTES(s2c, st, rw, rcw, i, num);
        APPLY(st, i, ev)
     :: ev == E_RST -> APPLY(st, i, ev)
     fi;
     i = 0; ev = 0; num = 0 }
  SERVER_STREAM(0)
  SERVER_STREAM(1)
  /* graceful shutdown: last = the highest stream received */
  :: atomic { !goaway -> goaway = true; last = seen; s2c!F_GOAWAY, CONN, seen }
  :: client_done && empty(c2s) -> break
  od;
  for (i : 0 .. N - 1) { assert(st[i] == S_IDLE || st[i] == S_CLOSED) }
}

init {
  stream_table();
  atomic { run Client(); run Server() }
}
