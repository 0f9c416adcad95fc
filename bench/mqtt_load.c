/*
 * A minimal MQTT 3.1.1 load client for bench/mqtt_compare.sh, the same for every broker: mosquitto_pub -l
 * drops lines once its in-flight window is full, which makes QoS 1/2 figures meaningless.
 *
 *   mqtt_load pub PORT QOS N SIZE WINDOW   publishes N messages of SIZE bytes on "bench/t", at most WINDOW
 *                                          unacknowledged (QoS 1: PUBACK; QoS 2: PUBREC, PUBREL, PUBCOMP);
 *                                          at QoS 0 a PINGREQ/PINGRESP at the end shows all were read
 *   mqtt_load sub PORT QOS N [persistent]  subscribes "bench/t" at QOS, prints "ready" after SUBACK, acks
 *                                          as the spec says and exits after N messages; "persistent":
 *                                          clean session 0, so the broker keeps what is in flight
 *
 * Loopback only (127.0.0.1). Build: cc -O2 -o mqtt_load mqtt_load.c
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int fd;
static unsigned char out[1 << 20];
static size_t outlen;
static unsigned char in[1 << 20];
static size_t inlen;

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void flush_out(void) {
  size_t off = 0;
  while (off < outlen) {
    ssize_t n = write(fd, out + off, outlen - off);
    if (n <= 0) die("write");
    off += (size_t)n;
  }
  outlen = 0;
}

static void put(const unsigned char *b, size_t n) {
  if (outlen + n > sizeof out) flush_out();
  memcpy(out + outlen, b, n);
  outlen += n;
}

static size_t varint(unsigned char *b, size_t n) {
  size_t i = 0;
  do {
    unsigned char c = n % 128;
    n /= 128;
    if (n > 0) c |= 0x80;
    b[i++] = c;
  } while (n > 0);
  return i;
}

static void ack(unsigned char type, unsigned pid) {
  unsigned char b[4] = {type, 2, (unsigned char)(pid >> 8), (unsigned char)pid};
  put(b, 4);
}

static void dial(int port, const char *id, int clean) {
  fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) die("connect");
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  unsigned char b[64];
  size_t idlen = strlen(id), n = 0;
  b[n++] = 0x10;
  b[n++] = (unsigned char)(12 + idlen);
  memcpy(b + n, "\0\4MQTT\4\2\0\0", 10);
  if (!clean) b[n + 7] = 0;
  n += 10;
  b[n++] = 0;
  b[n++] = (unsigned char)idlen;
  memcpy(b + n, id, idlen);
  n += idlen;
  put(b, n);
  flush_out();
}

/* Reads more input; returns how many bytes are buffered. */
static size_t fill(void) {
  ssize_t n = read(fd, in + inlen, sizeof in - inlen);
  if (n <= 0) {
    fprintf(stderr, "mqtt_load: connection closed\n");
    exit(1);
  }
  inlen += (size_t)n;
  return inlen;
}

/* The next whole packet at `*at` in the input, or 0 when more must be read. */
static int packet(size_t *at, unsigned char *type, const unsigned char **body, size_t *len) {
  size_t i = *at + 1, mult = 1, l = 0;
  for (;;) {
    if (i >= inlen) return 0;
    unsigned char c = in[i++];
    l += (c & 0x7f) * mult;
    mult *= 128;
    if (!(c & 0x80)) break;
  }
  if (i + l > inlen) return 0;
  *type = in[*at];
  *body = in + i;
  *len = l;
  *at = i + l;
  return 1;
}

static void compact(size_t at) {
  memmove(in, in + at, inlen - at);
  inlen -= at;
}

static void expect_connack(void) {
  while (inlen < 4) fill();
  if (in[0] != 0x20 || in[3] != 0) {
    fprintf(stderr, "mqtt_load: CONNACK refused\n");
    exit(1);
  }
  compact(4);
}

static int run_pub(int port, int qos, long n, int size, int window) {
  dial(port, "bench-pub", 1);
  expect_connack();
  unsigned char *msg = malloc(size + 32);
  long sent = 0, inflight = 0, done = 0;
  unsigned pid = 0;
  while (done < n) {
    while (sent < n && (qos == 0 || inflight < window)) {
      size_t rl = 2 + 7 + (qos ? 2 : 0) + size, h = 0;
      msg[h++] = 0x30 | (qos << 1);
      h += varint(msg + h, rl);
      memcpy(msg + h, "\0\7bench/t", 9);
      h += 9;
      if (qos) {
        pid = pid % 65535 + 1;
        msg[h++] = pid >> 8;
        msg[h++] = pid & 0xff;
      }
      memset(msg + h, 'x', size);
      put(msg, h + size);
      sent++;
      inflight++;
      if (qos == 0) done++;
    }
    if (qos == 0) break;
    flush_out();
    fill();
    size_t at = 0, len;
    unsigned char type;
    const unsigned char *body;
    while (packet(&at, &type, &body, &len)) {
      unsigned p = (body[0] << 8) | body[1];
      if (type == 0x40 || type == 0x70) {
        inflight--;
        done++;
      } else if (type == 0x50) {
        ack(0x62, p);
      }
    }
    compact(at);
  }
  /* PINGRESP comes after everything before it was read. */
  unsigned char ping[2] = {0xc0, 0};
  put(ping, 2);
  flush_out();
  for (;;) {
    size_t at = 0, len;
    unsigned char type;
    const unsigned char *body;
    fill();
    while (packet(&at, &type, &body, &len))
      if (type == 0xd0) {
        unsigned char disc[2] = {0xe0, 0};
        put(disc, 2);
        flush_out();
        return 0;
      }
    compact(at);
  }
}

/* What a subscriber answers: PUBACK or PUBREC to a PUBLISH, PUBCOMP to a PUBREL. */
static void answer(unsigned char type, const unsigned char *body) {
  if ((type & 0xf0) == 0x30) {
    int q = (type >> 1) & 3;
    if (q > 0) {
      size_t tl = (body[0] << 8) | body[1];
      ack(q == 1 ? 0x40 : 0x50, (body[2 + tl] << 8) | body[3 + tl]);
    }
  } else if ((type & 0xf0) == 0x60) {
    ack(0x70, (body[0] << 8) | body[1]);
  }
}

static int run_sub(int port, int qos, long n, int clean) {
  dial(port, "bench-sub", clean);
  expect_connack();
  unsigned char sub[] = {0x82, 12, 0, 1, 0, 7, 'b', 'e', 'n', 'c', 'h', '/', 't', (unsigned char)qos};
  put(sub, sizeof sub);
  flush_out();
  /* A persistent session may get what it had pending before the SUBACK: acknowledged, not counted. */
  for (int subacked = 0; !subacked;) {
    fill();
    size_t at = 0, len;
    unsigned char type;
    const unsigned char *body;
    while (!subacked && packet(&at, &type, &body, &len)) {
      if (type == 0x90) {
        if (body[2] != qos) {
          fprintf(stderr, "mqtt_load: SUBACK granted %d, not %d\n", body[2], qos);
          exit(1);
        }
        subacked = 1;
      } else {
        answer(type, body);
      }
    }
    compact(at);
    flush_out();
  }
  printf("ready\n");
  fflush(stdout);
  long got = 0;
  while (got < n) {
    fill();
    size_t at = 0, len;
    unsigned char type;
    const unsigned char *body;
    while (packet(&at, &type, &body, &len)) {
      if ((type & 0xf0) == 0x30) got++;
      answer(type, body);
    }
    compact(at);
    flush_out();
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 6 && strcmp(argv[1], "pub") == 0)
    return run_pub(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), atoi(argv[5]), argc > 6 ? atoi(argv[6]) : 1000);
  if (argc >= 5 && strcmp(argv[1], "sub") == 0) return run_sub(atoi(argv[2]), atoi(argv[3]), atol(argv[4]), !(argc > 5 && strcmp(argv[5], "persistent") == 0));
  fprintf(stderr, "usage: mqtt_load pub PORT QOS N SIZE [WINDOW] | sub PORT QOS N [persistent]\n");
  return 2;
}
