// netfault forwarder: joins two network namespaces through one TUN device in each and impairs
// the IP packets that cross: drop, delay (with jitter), reorder, duplicate. It exists because
// the kernels we test on have neither netem nor iptables, so impairment has to be in user space.
//
//   forwarder --ns-a /run/netns/A --ns-b /run/netns/B --dev wskf0 --seed 42
//             --loss 0.05 --delay-ms 20 --jitter-ms 5 --reorder 0.10 --duplicate 0.01
//             --stats /tmp/stats.json
//
// It prints "ready" once both devices exist (the caller then configures them with ip -n),
// writes its counters as JSON to --stats on SIGUSR1, and prints them on stdout when SIGTERM or
// SIGINT stops it. Each direction has its own seeded generator and draws the same four numbers
// for every packet, so the fate of the k-th packet of a direction depends on the seed alone: a
// failing run is replayed with the same --seed (timing can still differ, the fates do not).
//
// Impairment per packet, in order (the netem model, applied in each direction):
//   loss       dropped with this probability;
//   duplicate  sent twice with this probability (the copy right after the original);
//   reorder    with this probability, sent at once, overtaking the packets held for delay;
//   delay      otherwise held delay-ms +/- jitter-ms, never overtaking an earlier held packet.
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define QUEUE_LIMIT 10000 /* packets held per direction; beyond it, tail drop (like netem's limit) */
#define READ_BURST 64     /* packets read from one device before looking at the other */

struct options {
  const char *ns_a, *ns_b, *dev, *stats;
  uint64_t seed;
  double loss, reorder, duplicate;
  int64_t delay_ns, jitter_ns;
};

struct counters {
  uint64_t received, forwarded, dropped, delayed, reordered, duplicated, overflowed, write_errors;
};

struct packet {
  int64_t due_ns;
  size_t len;
  unsigned char data[];
};

struct direction {
  const char *name;
  int in, out;
  uint64_t rng;
  struct packet *held[QUEUE_LIMIT]; /* a FIFO: delays never reorder, only "reorder" does */
  size_t head, count;
  int64_t last_due_ns;
  struct counters c;
};

static volatile sig_atomic_t stop_requested, dump_requested;

static void on_signal(int sig) {
  if (sig == SIGUSR1) dump_requested = 1;
  else stop_requested = 1;
}

static void die(const char *what) {
  fprintf(stderr, "forwarder: %s: %s\n", what, strerror(errno));
  exit(1);
}

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* splitmix64: small, good enough for coin flips, and the same everywhere for a seed. */
static double uniform(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return (double)(z >> 11) * 0x1.0p-53;
}

/* The device is created in the namespace of the process that opens /dev/net/tun, so enter the
 * namespace first. The descriptor keeps working whatever namespace we are in afterwards. */
static int open_tun_in(const char *ns_path, const char *dev) {
  int ns = open(ns_path, O_RDONLY | O_CLOEXEC);
  if (ns < 0) die(ns_path);
  if (setns(ns, CLONE_NEWNET) < 0) die("setns");
  close(ns);
  int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) die("/dev/net/tun");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI; /* bare IP packets, no GSO: one MTU-sized packet a read */
  snprintf(ifr.ifr_name, IFNAMSIZ, "%s", dev);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) die("TUNSETIFF");
  return fd;
}

static void send_now(struct direction *d, const unsigned char *data, size_t len) {
  if (write(d->out, data, len) == (ssize_t)len) d->c.forwarded++;
  else d->c.write_errors++; /* the stack refused it (device down during teardown): a loss */
}

static void hold(struct direction *d, const unsigned char *data, size_t len, int64_t due_ns) {
  if (d->count == QUEUE_LIMIT) {
    d->c.overflowed++;
    return;
  }
  struct packet *p = malloc(sizeof *p + len);
  if (!p) die("malloc");
  /* Never before the packet held last: jitter varies the delay but does not reorder. */
  p->due_ns = due_ns > d->last_due_ns ? due_ns : d->last_due_ns;
  d->last_due_ns = p->due_ns;
  p->len = len;
  memcpy(p->data, data, len);
  d->held[(d->head + d->count++) % QUEUE_LIMIT] = p;
  d->c.delayed++;
}

static void impair(struct direction *d, const struct options *o, const unsigned char *data, size_t len) {
  /* Always four draws per packet, so that a packet's fate depends on its index alone. */
  double lost = uniform(&d->rng), dup = uniform(&d->rng), reo = uniform(&d->rng), jit = uniform(&d->rng);
  d->c.received++;
  if (lost < o->loss) {
    d->c.dropped++;
    return;
  }
  int copies = dup < o->duplicate ? 2 : 1;
  if (copies == 2) d->c.duplicated++;
  for (int i = 0; i < copies; i++) {
    if (reo < o->reorder && d->count > 0) {
      d->c.reordered++;
      send_now(d, data, len);
    } else if (o->delay_ns == 0 && o->jitter_ns == 0) {
      send_now(d, data, len);
    } else {
      int64_t jitter = (int64_t)((2 * jit - 1) * (double)o->jitter_ns);
      hold(d, data, len, now_ns() + o->delay_ns + jitter);
    }
  }
}

/* Sends what is due; returns the milliseconds until the next held packet is (-1: none held). */
static int release_due(struct direction *d, int64_t now) {
  while (d->count > 0) {
    struct packet *p = d->held[d->head];
    if (p->due_ns > now) return (int)((p->due_ns - now + 999999) / 1000000);
    send_now(d, p->data, p->len);
    free(p);
    d->head = (d->head + 1) % QUEUE_LIMIT;
    d->count--;
  }
  return -1;
}

static void read_burst(struct direction *d, const struct options *o) {
  static unsigned char buf[65536];
  for (int i = 0; i < READ_BURST; i++) {
    ssize_t n = read(d->in, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n < 0) die("read");
    impair(d, o, buf, (size_t)n);
  }
}

static void print_counters(FILE *f, const struct direction *d) {
  const struct counters *c = &d->c;
  fprintf(f,
          "\"%s\":{\"received\":%llu,\"forwarded\":%llu,\"dropped\":%llu,\"delayed\":%llu,"
          "\"reordered\":%llu,\"duplicated\":%llu,\"overflowed\":%llu,\"write_errors\":%llu}",
          d->name, (unsigned long long)c->received, (unsigned long long)c->forwarded,
          (unsigned long long)c->dropped, (unsigned long long)c->delayed,
          (unsigned long long)c->reordered, (unsigned long long)c->duplicated,
          (unsigned long long)c->overflowed, (unsigned long long)c->write_errors);
}

static void print_stats(FILE *f, const struct options *o, const struct direction *ab, const struct direction *ba) {
  fprintf(f, "{\"seed\":%llu,", (unsigned long long)o->seed);
  print_counters(f, ab);
  fputc(',', f);
  print_counters(f, ba);
  fputs("}\n", f);
}

/* Written whole, then renamed: a reader never sees half a file. */
static void dump_stats(const struct options *o, const struct direction *ab, const struct direction *ba) {
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", o->stats);
  FILE *f = fopen(tmp, "w");
  if (!f) die(tmp);
  print_stats(f, o, ab, ba);
  if (fclose(f) != 0 || rename(tmp, o->stats) != 0) die(o->stats);
}

static double parse_probability(const char *name, const char *text) {
  char *end;
  double p = strtod(text, &end);
  if (*end || p < 0 || p > 1) {
    fprintf(stderr, "forwarder: --%s wants a probability in [0, 1], got %s\n", name, text);
    exit(2);
  }
  return p;
}

static void parse_options(int argc, char **argv, struct options *o) {
  static const struct option longs[] = {
      {"ns-a", 1, 0, 'a'},   {"ns-b", 1, 0, 'b'},     {"dev", 1, 0, 'd'},       {"seed", 1, 0, 's'},
      {"loss", 1, 0, 'l'},   {"delay-ms", 1, 0, 'D'}, {"jitter-ms", 1, 0, 'j'}, {"reorder", 1, 0, 'r'},
      {"duplicate", 1, 0, 'u'}, {"stats", 1, 0, 'S'}, {0, 0, 0, 0}};
  memset(o, 0, sizeof *o);
  o->dev = "wskf0";
  o->seed = 1;
  for (int c; (c = getopt_long(argc, argv, "", longs, NULL)) != -1;) {
    switch (c) {
      case 'a': o->ns_a = optarg; break;
      case 'b': o->ns_b = optarg; break;
      case 'd': o->dev = optarg; break;
      case 's': o->seed = strtoull(optarg, NULL, 0); break;
      case 'l': o->loss = parse_probability("loss", optarg); break;
      case 'D': o->delay_ns = (int64_t)(strtod(optarg, NULL) * 1e6); break;
      case 'j': o->jitter_ns = (int64_t)(strtod(optarg, NULL) * 1e6); break;
      case 'r': o->reorder = parse_probability("reorder", optarg); break;
      case 'u': o->duplicate = parse_probability("duplicate", optarg); break;
      case 'S': o->stats = optarg; break;
      default: exit(2);
    }
  }
  if (!o->ns_a || !o->ns_b || !o->stats || o->jitter_ns > o->delay_ns) {
    fprintf(stderr, "usage: forwarder --ns-a PATH --ns-b PATH --stats FILE [--dev NAME] [--seed N]\n"
                    "       [--loss P] [--delay-ms MS] [--jitter-ms MS <= delay] [--reorder P] [--duplicate P]\n");
    exit(2);
  }
}

int main(int argc, char **argv) {
  struct options o;
  parse_options(argc, argv, &o);

  static struct direction ab = {.name = "a_to_b"}, ba = {.name = "b_to_a"};
  int tun_a = open_tun_in(o.ns_a, o.dev), tun_b = open_tun_in(o.ns_b, o.dev);
  ab.in = ba.out = tun_a;
  ab.out = ba.in = tun_b;
  ab.rng = o.seed ^ 0x6a09e667f3bcc908ULL; /* two fixed, different streams from one seed */
  ba.rng = o.seed ^ 0xbb67ae8584caa73bULL;

  /* Signals are blocked except inside ppoll, so a request is never missed between checks. */
  sigset_t blocked, during_poll;
  sigemptyset(&blocked);
  sigaddset(&blocked, SIGUSR1);
  sigaddset(&blocked, SIGTERM);
  sigaddset(&blocked, SIGINT);
  sigprocmask(SIG_BLOCK, &blocked, &during_poll);
  sigdelset(&during_poll, SIGUSR1);
  sigdelset(&during_poll, SIGTERM);
  sigdelset(&during_poll, SIGINT);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGUSR1, &sa, NULL);
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);

  printf("ready\n");
  fflush(stdout);

  struct pollfd fds[2] = {{.fd = tun_a, .events = POLLIN}, {.fd = tun_b, .events = POLLIN}};
  while (!stop_requested) {
    int64_t now = now_ns();
    int wait_ab = release_due(&ab, now), wait_ba = release_due(&ba, now);
    int wait_ms = wait_ab < 0 ? wait_ba : wait_ba < 0 ? wait_ab : (wait_ab < wait_ba ? wait_ab : wait_ba);
    struct timespec timeout = {wait_ms / 1000, (long)(wait_ms % 1000) * 1000000};
    int ready = ppoll(fds, 2, wait_ms < 0 ? NULL : &timeout, &during_poll);
    if (ready < 0 && errno != EINTR) die("ppoll");
    if (dump_requested) {
      dump_requested = 0;
      dump_stats(&o, &ab, &ba);
    }
    if (ready > 0 && (fds[0].revents & POLLIN)) read_burst(&ab, &o);
    if (ready > 0 && (fds[1].revents & POLLIN)) read_burst(&ba, &o);
  }
  dump_stats(&o, &ab, &ba);
  print_stats(stdout, &o, &ab, &ba);
  return 0;
}
