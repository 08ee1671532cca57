/*
 * The floor for cases B and C: the same request/response workload as bench/rr.ts, written in
 * C with no runtime at all. One thread, non-blocking sockets with TCP_NODELAY, one read and
 * one write per message: the syscalls node:net and node-wsk make. What it reaches is what the
 * kernel allows any library that makes one system call per message.
 *
 *   rr-floor CONNS ROUNDS SIZE [epoll|uring]   -> one JSON line, as the benchmark cases print
 *
 * epoll (the default): level-triggered, as libuv. uring: readiness as node-wsk's native/ring.cc
 * gets it, a multishot IORING_OP_POLL_ADD per socket (COOP_TASKRUN), completions read straight
 * from the shared queue, io_uring_enter only when the queue is empty.
 *
 * Loopback only (127.0.0.1, port 0); every loop is bounded by CONNS * ROUNDS.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static void die(const char *what) {
  fprintf(stderr, "rr-floor: %s: %s\n", what, strerror(errno));
  exit(1);
}

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

static double cpu_us(int who_sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  struct timeval tv = who_sys ? ru.ru_stime : ru.ru_utime;
  return tv.tv_sec * 1e6 + tv.tv_usec;
}

static int ioctl_nonblock(int fd) {
  int on = 1;
  return ioctl(fd, FIONBIO, &on);
}

struct end {
  int fd;
  int server;     /* 1: echo; 0: the client, counting rounds */
  long got;       /* bytes of the current message received so far */
  long rounds_left;
};

static void send_all(int fd, const char *msg, int size) {
  /* A message of SIZE bytes fits the empty send buffer of a request/response connection. */
  ssize_t n = send(fd, msg, size, MSG_NOSIGNAL);
  if (n != size) die("send");
}

/* ---- io_uring, raw system calls (no liburing) ---- */

static int ring_fd;
static unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask, *sq_flags;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;
static unsigned unsubmitted;

static void ring_setup(void) {
  struct io_uring_params p;
  memset(&p, 0, sizeof p);
  p.flags = IORING_SETUP_CQSIZE | IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  p.cq_entries = 16384;
  ring_fd = (int)syscall(__NR_io_uring_setup, 1024, &p);
  if (ring_fd < 0) die("io_uring_setup");
  size_t sq = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char *m = mmap(NULL, sq > cq ? sq : cq, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQ_RING);
  sqes = mmap(NULL, p.sq_entries * sizeof *sqes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring_fd, IORING_OFF_SQES);
  if (m == MAP_FAILED || sqes == MAP_FAILED) die("mmap");
  sq_tail = (unsigned *)(m + p.sq_off.tail);
  sq_mask = (unsigned *)(m + p.sq_off.ring_mask);
  sq_array = (unsigned *)(m + p.sq_off.array);
  sq_flags = (unsigned *)(m + p.sq_off.flags);
  cq_head = (unsigned *)(m + p.cq_off.head);
  cq_tail = (unsigned *)(m + p.cq_off.tail);
  cq_mask = (unsigned *)(m + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe *)(m + p.cq_off.cqes);
}

static void ring_enter(unsigned wait) {
  int r = (int)syscall(__NR_io_uring_enter, ring_fd, unsubmitted, wait, IORING_ENTER_GETEVENTS, NULL, 0);
  if (r < 0 && errno != EINTR) die("io_uring_enter");
  if (r > 0) unsubmitted -= (unsigned)r < unsubmitted ? (unsigned)r : unsubmitted;
}

static void poll_multishot(int fd, void *tag) {
  unsigned tail = *sq_tail, i = tail & *sq_mask;
  if (unsubmitted > *sq_mask) ring_enter(0);
  struct io_uring_sqe *e = &sqes[i];
  memset(e, 0, sizeof *e);
  e->opcode = IORING_OP_POLL_ADD;
  e->fd = fd;
  e->poll32_events = POLLIN;
  e->len = IORING_POLL_ADD_MULTI;
  e->user_data = (unsigned long)tag;
  sq_array[i] = i;
  __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
  unsubmitted++;
}

int main(int argc, char **argv) {
  if (argc != 4 && argc != 5) {
    fprintf(stderr, "usage: rr-floor CONNS ROUNDS SIZE [epoll|uring]\n");
    return 2;
  }
  int uring = argc == 5 && strcmp(argv[4], "uring") == 0;
  if (argc == 5 && !uring && strcmp(argv[4], "epoll") != 0) {
    fprintf(stderr, "rr-floor: the mode is epoll or uring\n");
    return 2;
  }
  long conns = atol(argv[1]), rounds = atol(argv[2]), size = atol(argv[3]);
  if (conns < 1 || conns > 100000 || rounds < 1 || size < 1 || size > 65536) {
    fprintf(stderr, "rr-floor: arguments out of range\n");
    return 2;
  }
  int one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t alen = sizeof a;
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4096) < 0) die("listen");
  if (getsockname(l, (struct sockaddr *)&a, &alen) < 0) die("getsockname");

  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) die("epoll_create1");
  if (uring) ring_setup();
  struct end *ends = calloc(2 * conns, sizeof *ends);
  char *msg = malloc(size), *buf = malloc(65536);
  if (!ends || !msg || !buf) die("malloc");
  memset(msg, 0x51, size);
  for (long i = 0; i < conns; i++) {
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof a) < 0) die("connect");
    int s = accept4(l, NULL, NULL, SOCK_CLOEXEC);
    if (s < 0) die("accept");
    ends[2 * i] = (struct end){.fd = c, .server = 0, .rounds_left = rounds};
    ends[2 * i + 1] = (struct end){.fd = s, .server = 1};
  }
  for (long i = 0; i < 2 * conns; i++) {
    int fd = ends[i].fd;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) < 0) die("TCP_NODELAY");
    if (ioctl_nonblock(fd) < 0) die("FIONBIO");
    struct epoll_event e = {.events = EPOLLIN, .data.ptr = &ends[i]};
    if (uring) poll_multishot(fd, &ends[i]);
    else if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e) < 0) die("epoll_ctl");
  }
  if (uring) ring_enter(0);

  double t0 = now_s(), u0 = cpu_us(0), s0 = cpu_us(1);
  for (long i = 0; i < conns; i++) send_all(ends[2 * i].fd, msg, size);
  long finished = 0;
  struct epoll_event ev[1024];
  while (finished < conns) {
    int n;
    if (uring) {
      /* Wakeups owed their completion (COOP_TASKRUN), or an empty queue: enter the kernel.
       * One thread makes every wakeup here, so a queue still empty after that is a stall. */
      unsigned head = *cq_head;
      if ((__atomic_load_n(sq_flags, __ATOMIC_ACQUIRE) & IORING_SQ_TASKRUN) || head == __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE))
        ring_enter(0);
      unsigned tail = __atomic_load_n(cq_tail, __ATOMIC_ACQUIRE);
      if (head == tail) die("io_uring (stalled)");
      for (n = 0; head != tail && n < 1024; head++) {
        struct io_uring_cqe *c = &cqes[head & *cq_mask];
        struct end *e = (struct end *)c->user_data;
        if (!(c->flags & IORING_CQE_F_MORE)) poll_multishot(e->fd, e); /* the kernel ended it */
        ev[n++].data.ptr = e;
      }
      __atomic_store_n(cq_head, head, __ATOMIC_RELEASE);
    } else {
      n = epoll_wait(ep, ev, 1024, 5000);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) die("epoll_wait (stalled)");
    }
    for (int j = 0; j < n; j++) {
      struct end *e = ev[j].data.ptr;
      ssize_t r = recv(e->fd, buf, 65536, 0);
      if (r < 0 && errno == EAGAIN) continue;
      if (r <= 0) die("recv");
      e->got += r;
      while (e->got >= size) {
        e->got -= size;
        if (e->server) {
          send_all(e->fd, msg, size);
        } else if (--e->rounds_left == 0) {
          finished++;
        } else {
          send_all(e->fd, msg, size);
        }
      }
    }
  }
  double seconds = now_s() - t0, rts = (double)conns * rounds;
  printf("{\"metric\":\"rt/s\",\"value\":%.1f,\"userUsPerRt\":%.3f,\"sysUsPerRt\":%.3f}\n", rts / seconds,
         (cpu_us(0) - u0) / rts, (cpu_us(1) - s0) / rts);
  for (long i = 0; i < 2 * conns; i++) close(ends[i].fd);
  close(l);
  close(ep);
  return 0;
}
