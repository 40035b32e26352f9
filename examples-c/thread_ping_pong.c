/* Two threads, each running its own loop, exchange messages through each other's async
 * handles: A sends "ping n" to B, B answers "pong n" to A, ROUNDS times. */
#include <stdio.h>
#include <uv.h>

#define ROUNDS 10000

typedef struct peer {
  const char* name;
  uv_loop_t loop;
  uv_async_t inbox;          /* other threads call uv_async_send on it */
  uv_mutex_t lock;
  int mailbox;               /* the last number sent to this peer, under lock */
  int received;
  struct peer* other;
} peer_t;

static void send_to(peer_t* to, int n) {
  uv_mutex_lock(&to->lock);
  to->mailbox = n;
  uv_mutex_unlock(&to->lock);
  uv_async_send(&to->inbox);
}

static void on_message(uv_async_t* handle) {
  peer_t* self = (peer_t*) handle->data;
  int n;
  uv_mutex_lock(&self->lock);
  n = self->mailbox;
  uv_mutex_unlock(&self->lock);
  self->received++;
  if (n >= ROUNDS) {
    /* Tell the other side to stop too (if it has not), then stop. */
    if (self->name[0] == 'A')
      send_to(self->other, n + 1);
    uv_close((uv_handle_t*) &self->inbox, NULL);
    return;
  }
  send_to(self->other, n + 1);
}

static void run_peer(void* arg) {
  peer_t* self = (peer_t*) arg;
  uv_run(&self->loop, UV_RUN_DEFAULT);
}

static void init_peer(peer_t* p, const char* name) {
  p->name = name;
  p->mailbox = 0;
  p->received = 0;
  uv_mutex_init(&p->lock);
  uv_loop_init(&p->loop);
  p->inbox.data = p;
  uv_async_init(&p->loop, &p->inbox, on_message);
}

int main(void) {
  peer_t a, b;
  uv_thread_t ta, tb;
  uint64_t start;
  double ms;

  init_peer(&a, "A");
  init_peer(&b, "B");
  a.other = &b;
  b.other = &a;

  start = uv_hrtime();
  uv_thread_create(&ta, run_peer, &a);
  uv_thread_create(&tb, run_peer, &b);
  send_to(&b, 1); /* serve */
  uv_thread_join(&ta);
  uv_thread_join(&tb);
  ms = (uv_hrtime() - start) / 1e6;

  printf("  A received %d messages, B received %d, in %.1f ms (%.0f round trips/s)\n",
         a.received, b.received, ms, (a.received + b.received) / 2 / (ms / 1000.0));
  uv_loop_close(&a.loop);
  uv_loop_close(&b.loop);
  return (a.received > 0 && b.received > 0) ? 0 : 1;
}
