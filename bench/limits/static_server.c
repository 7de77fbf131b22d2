// The HTTP ceiling of bench/compare.sh (bench/README.md, "Limits"): the smallest useful HTTP/1.1
// server, answering every request on a keep-alive connection with one static file (read once at
// start, as nginx's open_file_cache would hold it). epoll, non-blocking sockets, --threads event
// loops sharing one listening socket (EPOLLEXCLUSIVE). No parsing beyond finding each request's
// end ("\r\n\r\n"; bodies are not expected). Stopped by SIGTERM/SIGINT.
//   cc -O2 -pthread -o static_server static_server.c
//   static_server FILE PORT_FILE [THREADS]      (listens on 127.0.0.1:0, writes "127.0.0.1:<port>")
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

static char *response;
static size_t response_len;
static int listen_fd;

struct conn { int fd; size_t have; char buf[8192]; };

static void *loop(void *arg) {
  (void)arg;
  int ep = epoll_create1(0);
  struct epoll_event ev = {.events = EPOLLIN | EPOLLEXCLUSIVE, .data.ptr = NULL};
  epoll_ctl(ep, EPOLL_CTL_ADD, listen_fd, &ev);
  struct epoll_event events[256];
  char *out = malloc(response_len * 64);
  for (;;) {
    int n = epoll_wait(ep, events, 256, -1);
    for (int i = 0; i < n; i++) {
      if (events[i].data.ptr == NULL) {
        for (;;) {
          int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK);
          if (fd < 0) break;
          int one = 1;
          setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          struct conn *c = calloc(1, sizeof *c);
          c->fd = fd;
          struct epoll_event cev = {.events = EPOLLIN, .data.ptr = c};
          epoll_ctl(ep, EPOLL_CTL_ADD, fd, &cev);
        }
        continue;
      }
      struct conn *c = events[i].data.ptr;
      ssize_t r = read(c->fd, c->buf + c->have, sizeof c->buf - c->have);
      if (r <= 0) {
        if (r < 0 && errno == EAGAIN) continue;
        close(c->fd); free(c); continue;
      }
      c->have += (size_t)r;
      size_t answers = 0, start = 0;
      for (;;) {
        char *end = memmem(c->buf + start, c->have - start, "\r\n\r\n", 4);
        if (!end) break;
        start = (size_t)(end - c->buf) + 4;
        if (answers < 64) memcpy(out + answers * response_len, response, response_len);
        answers++;
      }
      memmove(c->buf, c->buf + start, c->have - start);
      c->have -= start;
      if (c->have == sizeof c->buf) { close(c->fd); free(c); continue; }   // a header too large
      if (answers > 64) answers = 64;
      size_t len = answers * response_len, off = 0;
      while (off < len) {   // small answers: the socket buffer takes them; spin briefly if not
        ssize_t w = write(c->fd, out + off, len - off);
        if (w < 0) { if (errno == EAGAIN) continue; break; }
        off += (size_t)w;
      }
    }
  }
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) { fprintf(stderr, "usage: static_server FILE PORT_FILE [THREADS]\n"); return 2; }
  signal(SIGPIPE, SIG_IGN);
  FILE *f = fopen(argv[1], "rb");
  if (!f) { perror(argv[1]); return 1; }
  struct stat st; fstat(fileno(f), &st);
  char *body = malloc((size_t)st.st_size + 1);
  size_t body_len = fread(body, 1, (size_t)st.st_size, f);
  fclose(f);
  char head[256];
  int hl = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nServer: static\r\nContent-Type: application/json\r\n"
                    "Content-Length: %zu\r\nConnection: keep-alive\r\n\r\n", body_len);
  response_len = (size_t)hl + body_len;
  response = malloc(response_len);
  memcpy(response, head, (size_t)hl);
  memcpy(response + hl, body, body_len);

  listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
  inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  if (bind(listen_fd, (struct sockaddr *)&a, sizeof a) || listen(listen_fd, 4096)) { perror("listen"); return 1; }
  socklen_t al = sizeof a;
  getsockname(listen_fd, (struct sockaddr *)&a, &al);
  int threads = argc > 3 ? atoi(argv[3]) : 2;
  if (threads < 1) threads = 1;
  for (int t = 1; t < threads; t++) { pthread_t th; pthread_create(&th, NULL, loop, NULL); }
  char tmp[4096];
  snprintf(tmp, sizeof tmp, "%s.tmp", argv[2]);
  FILE *pf = fopen(tmp, "w");
  if (!pf) { perror(tmp); return 1; }
  fprintf(pf, "127.0.0.1:%d", ntohs(a.sin_port));
  fclose(pf);
  rename(tmp, argv[2]);
  loop(NULL);
  return 0;
}
