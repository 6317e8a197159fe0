// SPDX-License-Identifier: MIT
/*
 * http - a read-only buse device served from a URL (libcurl).
 *
 * Every READ becomes an HTTP GET with a Range header, run by one event
 * thread on a pool of --connections keep-alive connections, so requests
 * of all queues run in parallel.  The size comes from a one-byte Range
 * probe at start (which also follows redirects once and records the
 * ETag / Last-Modified: a response whose ETag differs later is refused,
 * the object changed under the device).  Transient failures (connection
 * refused or reset, 5xx, a stalled transfer) are retried with backoff;
 * after --retries the kernel gets ETIMEDOUT (stalled) or EIO.  A server
 * that ignores Range (HTTP 200) is refused at start with a clear message,
 * and any later full-body answer, or a 206 for other bytes (another
 * Content-Range, or none), fails the request.  HTTPS works as
 * libcurl does (system CA store; --insecure to skip verification).
 *
 * With the cache filter it serves a file system image on demand and keeps
 * every block it fetched (buse-cache(1)).
 *
 * Build (from the top of the tree; needs libcurl4-openssl-dev):
 *     make examples
 * Run (as root; buse.ko loaded):
 *     examples/http --create https://example.org/disk.img
 *     mount -o ro /dev/buse1 /mnt                  # the printed device
 *     examples/cache --cache /var/tmp/d.cache --bitmap /var/tmp/d.bmp \
 *             --create -- http https://example.org/disk.img
 *     examples/http --help
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>

#include <bdus.h>
#include <bdus_cli.h>

#include "kit.h"

#define HTTP_DEF_CONNECTIONS 4u
#define HTTP_MAX_CONNECTIONS 64u
#define HTTP_DEF_RETRIES 5u
#define HTTP_DEF_TIMEOUT 30u /* seconds without a byte: stalled */
#define HTTP_BACKOFF_MS 100u /* first retry; doubles, up to 5 s */
#define HTTP_MAX_BACKOFF_MS 5000u

struct http;

/* One READ in progress: queued, transferring, or waiting to retry. */
struct http_xfer {
	const struct bdus_req *req;
	char *buf;
	uint64_t off;
	uint32_t len;
	uint32_t got;
	unsigned int attempt;
	uint64_t retry_at; /* ms, CLOCK_MONOTONIC */
	bool cancelled;	   /* __atomic: the kernel gave up on it */
	bool bad_range;	   /* the answer was not our range */
	bool range_seen;   /* the answer has a Content-Range */
	bool etag_changed;
	long status; /* the last response's HTTP status */
	CURL *easy;
	struct http *h;
	struct http_xfer *next;
};

struct http {
	/* Options. */
	uint32_t connections;
	uint32_t retries;
	uint32_t timeout;
	uint32_t connect_timeout;
	bool insecure;
	bool connections_set;
	/* From the probe. */
	char *url; /* the effective URL (redirects followed) */
	uint64_t size;
	char etag[256];
	char ident[1024];
	/* Serving, from open() to close(). */
	struct http_xfer *xfers; /* [nr_queues * depth] */
	uint32_t depth;
	CURLM *multi;
	CURL **idle; /* free easy handles */
	uint32_t nidle;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t lock; /* protects: queue, stop */
	struct http_xfer *queue, **queue_tail;
	bool stop;
	/* Owned by the event thread. */
	struct http_xfer *waiting; /* retrying later */
	uint32_t active;
	bool warned_range, warned_etag;
	bool cancels; /* __atomic: a cancel() since the thread looked */
	uint32_t nxfers;
};

enum {
	HTTP_OPT_CONNECTIONS = 660,
	HTTP_OPT_RETRIES,
	HTTP_OPT_TIMEOUT,
	HTTP_OPT_CONNECT_TIMEOUT,
	HTTP_OPT_INSECURE,
};

static const struct option http_opts[] = {
	{ "connections", required_argument, NULL, HTTP_OPT_CONNECTIONS },
	{ "retries", required_argument, NULL, HTTP_OPT_RETRIES },
	{ "http-timeout", required_argument, NULL, HTTP_OPT_TIMEOUT },
	{ "connect-timeout", required_argument, NULL,
	  HTTP_OPT_CONNECT_TIMEOUT },
	{ "insecure", no_argument, NULL, HTTP_OPT_INSECURE },
	{ NULL, 0, NULL, 0 },
};

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int http_parse(void *ctx, int opt, const char *arg, const char **valid)
{
	struct http *h = ctx;
	uint32_t v = 0;
	int ret;

	(void)valid;
	if (opt == HTTP_OPT_INSECURE) {
		h->insecure = true;
		return 0;
	}
	ret = bdus_parse_u32(arg, &v);
	if (ret)
		return ret;
	switch (opt) {
	case HTTP_OPT_CONNECTIONS:
		if (!v)
			return -EDOM;
		if (v > HTTP_MAX_CONNECTIONS)
			return -ERANGE;
		h->connections = v;
		h->connections_set = true;
		return 0;
	case HTTP_OPT_RETRIES:
		if (v > 100)
			return -ERANGE;
		h->retries = v + 1; /* stored as retries + 1: 0 means unset */
		return 0;
	case HTTP_OPT_TIMEOUT:
		if (!v)
			return -EDOM;
		h->timeout = v;
		return 0;
	case HTTP_OPT_CONNECT_TIMEOUT:
		if (!v)
			return -EDOM;
		h->connect_timeout = v;
		return 0;
	}
	return -EINVAL;
}

/* ------------------------------------------------------------------------
 * Responses
 */

/* "Content-Range: bytes A-B/T": A and B, or false. */
static bool parse_content_range(const char *v, uint64_t *a, uint64_t *b,
				uint64_t *total)
{
	unsigned long long x, y, t;
	char star;

	while (*v == ' ')
		v++;
	if (sscanf(v, "bytes %llu-%llu/%llu", &x, &y, &t) == 3) {
		*a = x;
		*b = y;
		*total = t;
		return true;
	}
	if (total && sscanf(v, "bytes %c/%llu", &star, &t) == 2 &&
	    star == '*') {
		*a = *b = UINT64_MAX;
		*total = t;
		return false;
	}
	return false;
}

/* The value of header `name` in line (length n), copied to out; or false. */
static bool header_value(const char *line, size_t n, const char *name,
			 char *out, size_t outlen)
{
	size_t k = strlen(name), len;

	if (n <= k || strncasecmp(line, name, k) || line[k] != ':')
		return false;
	line += k + 1;
	n -= k + 1;
	while (n && (*line == ' ' || *line == '\t'))
		line++, n--;
	while (n && (line[n - 1] == '\r' || line[n - 1] == '\n'))
		n--;
	len = n < outlen - 1 ? n : outlen - 1;
	memcpy(out, line, len);
	out[len] = 0;
	return true;
}

struct http_probe {
	char content_range[128];
	char etag[256];
	char last_modified[128];
};

static size_t probe_header(char *line, size_t size, size_t n, void *arg)
{
	struct http_probe *p = arg;

	n *= size;
	/* A new response (a redirect's): forget the last one's headers. */
	if (n >= 5 && !strncmp(line, "HTTP/", 5))
		memset(p, 0, sizeof(*p));
	header_value(line, n, "Content-Range", p->content_range,
		     sizeof(p->content_range));
	header_value(line, n, "ETag", p->etag, sizeof(p->etag));
	header_value(line, n, "Last-Modified", p->last_modified,
		     sizeof(p->last_modified));
	return n;
}

static size_t probe_body(char *data, size_t size, size_t n, void *arg)
{
	size_t *got = arg;

	(void)data;
	*got += size * n;
	/* Anything longer than the byte asked for: the server ignores Range. */
	return *got > 1 ? 0 : size * n;
}

/* Response headers of x: its range, and the object's ETag unchanged. */
static size_t xfer_header(char *line, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;
	char v[256];
	uint64_t a, b, t;

	n *= size;
	if (n >= 5 && !strncmp(line, "HTTP/", 5)) {
		x->bad_range = false;
		x->range_seen = false;
		x->etag_changed = false;
	}
	if (header_value(line, n, "Content-Range", v, sizeof(v))) {
		x->range_seen = true;
		if (!parse_content_range(v, &a, &b, &t) || a != x->off ||
		    b != x->off + x->len - 1 || t != x->h->size)
			x->bad_range = true;
	}
	if (x->h->etag[0] && header_value(line, n, "ETag", v, sizeof(v)) &&
	    strcmp(v, x->h->etag))
		x->etag_changed = true;
	return n;
}

static void http_easy_common(struct http *h, CURL *e)
{
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT, (long)h->connect_timeout);
	/* Stalled: less than a byte a second for --http-timeout seconds. */
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)h->timeout);
	curl_easy_setopt(e, CURLOPT_USERAGENT, "buse-http");
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, NULL);
	if (h->insecure) {
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
	}
}

/* The size, effective URL and validators of url; 0 or -1 (message). */
static int http_probe(struct http *h, const char *url)
{
	char err[CURL_ERROR_SIZE] = "";
	struct http_probe p = { 0 };
	uint64_t a, b, total;
	size_t got = 0;
	long status = 0;
	char *eff = NULL;
	CURLcode rc;
	CURL *e;

	e = curl_easy_init();
	if (!e) {
		kit_err("http", "cannot initialise libcurl");
		return -1;
	}
	http_easy_common(h, e);
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
	curl_easy_setopt(e, CURLOPT_MAXREDIRS, 10L);
	curl_easy_setopt(e, CURLOPT_RANGE, "0-0");
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, probe_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, &p);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, probe_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &got);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, err);
	/* The whole probe, a stalled server included, within the timeouts. */
	curl_easy_setopt(e, CURLOPT_TIMEOUT,
			 (long)(h->connect_timeout + h->timeout));
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(e, CURLINFO_EFFECTIVE_URL, &eff);
	if (status == 200 || (rc == CURLE_WRITE_ERROR && got > 1)) {
		kit_err("http",
			"%s: the server ignored a Range request (HTTP %ld, the "
			"whole body): it does not serve byte ranges, which "
			"buse-http needs",
			url, status);
		goto fail;
	}
	if (rc != CURLE_OK) {
		kit_err("http", "%s: %s", url,
			err[0] ? err : curl_easy_strerror(rc));
		goto fail;
	}
	if (status == 416 && !strncmp(p.content_range, "bytes */0", 9)) {
		kit_err("http", "%s is empty", url);
		goto fail;
	}
	if (status != 206) {
		kit_err("http", "%s: HTTP %ld", url, status);
		goto fail;
	}
	if (!parse_content_range(p.content_range, &a, &b, &total) || a != 0 ||
	    b != 0 || !total) {
		kit_err("http",
			"%s: a 206 answer without a valid "
			"Content-Range ('%s')",
			url, p.content_range);
		goto fail;
	}
	h->url = strdup(eff ? eff : url);
	if (!h->url) {
		kit_err("http", "out of memory");
		goto fail;
	}
	h->size = total;
	snprintf(h->etag, sizeof(h->etag), "%s", p.etag);
	snprintf(h->ident, sizeof(h->ident),
		 "http %s size=%" PRIu64 " etag=%s last-modified=%s", h->url,
		 total, p.etag[0] ? p.etag : "-",
		 p.last_modified[0] ? p.last_modified : "-");
	curl_easy_cleanup(e);
	return 0;
fail:
	curl_easy_cleanup(e);
	return -1;
}

/* ------------------------------------------------------------------------
 * The event thread
 */

static size_t xfer_body(char *data, size_t size, size_t n, void *arg)
{
	struct http_xfer *x = arg;

	n *= size;
	/* More than asked for (a 200 with the whole body): stop it. */
	if (n > x->len - x->got || x->bad_range)
		return 0;
	memcpy(x->buf + x->got, data, n);
	x->got += (uint32_t)n;
	return n;
}

static void http_start(struct http *h, struct http_xfer *x)
{
	char range[64];
	CURL *e = h->idle[--h->nidle];

	x->easy = e;
	x->got = 0;
	x->status = 0;
	x->bad_range = false;
	x->range_seen = false;
	x->etag_changed = false;
	snprintf(range, sizeof(range), "%" PRIu64 "-%" PRIu64, x->off,
		 x->off + x->len - 1);
	curl_easy_setopt(e, CURLOPT_RANGE, range);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(e, CURLOPT_PRIVATE, x);
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		h->idle[h->nidle++] = e;
		x->easy = NULL;
		bdus_complete(x->req, -EIO);
		return;
	}
	h->active++;
}

/* The errno for a transfer that failed for good. */
static int http_errno(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:
		return -ETIMEDOUT;
	default:
		return -EIO;
	}
}

/* Whether a failure may go away if tried again. */
static bool http_transient(CURLcode rc, long status)
{
	if (rc == CURLE_OK)
		return status >= 500 || status == 408 || status == 429;
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

static void http_done(struct http *h, struct http_xfer *x, CURLcode rc)
{
	CURL *e = x->easy;
	uint64_t backoff;

	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &x->status);
	curl_multi_remove_handle(h->multi, e);
	h->idle[h->nidle++] = e;
	x->easy = NULL;
	h->active--;

	if (__atomic_load_n(&x->cancelled, __ATOMIC_ACQUIRE)) {
		bdus_complete(x->req, -ETIMEDOUT);
		return;
	}
	/* A 206 must say which bytes it holds. */
	if (x->status == 206 && !x->range_seen)
		x->bad_range = true;
	if (rc == CURLE_OK && x->status == 206 && !x->bad_range &&
	    !x->etag_changed && x->got == x->len) {
		bdus_complete(x->req, 0);
		return;
	}
	if (x->status == 200 || x->bad_range) {
		if (!h->warned_range)
			kit_err("http",
				"%s answered a Range request with other "
				"bytes (HTTP %ld): failing such requests",
				h->url, x->status);
		h->warned_range = true;
		bdus_complete(x->req, -EIO);
		return;
	}
	if (x->etag_changed) {
		if (!h->warned_etag)
			kit_err("http",
				"%s changed on the server (another ETag): "
				"failing its reads",
				h->url);
		h->warned_etag = true;
		bdus_complete(x->req, -EIO);
		return;
	}
	if (rc == CURLE_OK && x->status == 206)
		rc = CURLE_PARTIAL_FILE; /* short body */
	if (!http_transient(rc, x->status) || x->attempt + 1 >= h->retries) {
		bdus_complete(x->req, rc == CURLE_OK ? -EIO : http_errno(rc));
		return;
	}
	backoff = (uint64_t)HTTP_BACKOFF_MS
		  << (x->attempt < 10 ? x->attempt : 10);
	if (backoff > HTTP_MAX_BACKOFF_MS)
		backoff = HTTP_MAX_BACKOFF_MS;
	x->attempt++;
	x->retry_at = now_ms() + backoff;
	x->next = h->waiting;
	h->waiting = x;
}

/* Answer cancelled transfers at once: the kernel no longer waits. */
static void http_reap_cancelled(struct http_xfer **list)
{
	struct http_xfer **p = list, *x;

	while ((x = *p)) {
		if (__atomic_load_n(&x->cancelled, __ATOMIC_ACQUIRE)) {
			*p = x->next;
			bdus_complete(x->req, -ETIMEDOUT);
		} else {
			p = &x->next;
		}
	}
}

/* Stop the transfers in flight that the kernel gave up on. */
static void http_stop_cancelled(struct http *h)
{
	struct http_xfer *x;
	uint32_t i;

	for (i = 0; i < h->nxfers; i++) {
		x = &h->xfers[i];
		if (!x->easy ||
		    !__atomic_load_n(&x->cancelled, __ATOMIC_ACQUIRE))
			continue;
		curl_multi_remove_handle(h->multi, x->easy);
		h->idle[h->nidle++] = x->easy;
		x->easy = NULL;
		h->active--;
		bdus_complete(x->req, -ETIMEDOUT);
	}
}

static void *http_thread(void *arg)
{
	struct http *h = arg;
	struct http_xfer *fresh, *x, **p;
	bool stop = false;
	CURLMsg *msg;
	uint64_t now, next;
	int running, left, wait;

	for (;;) {
		pthread_mutex_lock(&h->lock);
		fresh = h->queue;
		h->queue = NULL;
		h->queue_tail = &h->queue;
		stop = h->stop;
		pthread_mutex_unlock(&h->lock);
		/* New requests join the waiting list, due now. */
		while ((x = fresh)) {
			fresh = x->next;
			x->retry_at = 0;
			x->next = h->waiting;
			h->waiting = x;
		}
		if (stop)
			break;
		http_reap_cancelled(&h->waiting);
		/* Start what is due, oldest first, while a handle is free. */
		now = now_ms();
		next = UINT64_MAX;
		for (p = &h->waiting; *p && h->nidle;) {
			x = *p;
			if (x->retry_at <= now) {
				*p = x->next;
				http_start(h, x);
			} else {
				next = x->retry_at < next ? x->retry_at : next;
				p = &x->next;
			}
		}
		for (; *p; p = &(*p)->next)
			next = (*p)->retry_at < next ? (*p)->retry_at : next;
		if (__atomic_exchange_n(&h->cancels, false, __ATOMIC_ACQ_REL))
			http_stop_cancelled(h);
		curl_multi_perform(h->multi, &running);
		while ((msg = curl_multi_info_read(h->multi, &left))) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
					  (char **)&x);
			http_done(h, x, msg->data.result);
		}
		wait = 1000;
		if (next != UINT64_MAX) {
			now = now_ms();
			wait = next <= now	   ? 0
			       : next - now < 1000 ? (int)(next - now)
						   : 1000;
		}
		if (h->waiting && !h->nidle)
			wait = 1000; /* until a handle is free */
		curl_multi_poll(h->multi, NULL, 0, wait, NULL);
	}
	/* Stopping: nothing may stay unanswered. */
	for (x = h->waiting; x; x = fresh) {
		fresh = x->next;
		bdus_complete(x->req, -EIO);
	}
	h->waiting = NULL;
	return NULL;
}

/* ------------------------------------------------------------------------
 * The engine
 */

static int http_read(void *ctx, void *buf, uint64_t off, uint32_t len,
		     const struct bdus_req *req)
{
	struct http *h = ctx;
	struct http_xfer *x;

	if (req->queue >= h->nxfers / h->depth || req->tag >= h->depth)
		return -EIO;
	x = &h->xfers[(size_t)req->queue * h->depth + req->tag];
	x->req = req;
	x->buf = buf;
	x->off = off;
	x->len = len;
	x->attempt = 0;
	__atomic_store_n(&x->cancelled, false, __ATOMIC_RELAXED);
	x->next = NULL;
	pthread_mutex_lock(&h->lock);
	*h->queue_tail = x;
	h->queue_tail = &x->next;
	pthread_mutex_unlock(&h->lock);
	curl_multi_wakeup(h->multi);
	return BDUS_ASYNC;
}

static int http_write(void *ctx, const void *buf, uint64_t off, uint32_t len,
		      const struct bdus_req *req)
{
	(void)ctx, (void)buf, (void)off, (void)len, (void)req;
	return -EROFS;
}

/* The kernel gave up on req: answer it now rather than after retries. */
static void http_cancel(void *ctx, const struct bdus_req *req)
{
	struct http *h = ctx;

	if (req->queue >= h->nxfers / h->depth || req->tag >= h->depth)
		return;
	__atomic_store_n(
		&h->xfers[(size_t)req->queue * h->depth + req->tag].cancelled,
		true, __ATOMIC_RELEASE);
	__atomic_store_n(&h->cancels, true, __ATOMIC_RELEASE);
	curl_multi_wakeup(h->multi);
}

static void http_close(void *ctx, const struct bdus_dev *dev);

static int http_open(void *ctx, const struct bdus_dev *dev)
{
	struct http *h = ctx;
	uint32_t i;
	int ret;

	h->depth = dev->queue_depth;
	h->nxfers = dev->nr_queues * dev->queue_depth;
	h->xfers = calloc(h->nxfers, sizeof(*h->xfers));
	h->idle = calloc(h->connections, sizeof(*h->idle));
	h->multi = curl_multi_init();
	if (!h->xfers || !h->idle || !h->multi)
		goto fail_nomem;
	for (i = 0; i < h->nxfers; i++)
		h->xfers[i].h = h;
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
			  (long)h->connections);
	curl_multi_setopt(h->multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
			  (long)h->connections);
	for (i = 0; i < h->connections; i++) {
		CURL *e = curl_easy_init();

		if (!e)
			goto fail_nomem;
		http_easy_common(h, e);
		curl_easy_setopt(e, CURLOPT_URL, h->url);
		curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, xfer_header);
		curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, xfer_body);
		h->idle[h->nidle++] = e;
	}
	pthread_mutex_init(&h->lock, NULL);
	h->queue = NULL;
	h->queue_tail = &h->queue;
	h->stop = false;
	ret = pthread_create(&h->thread, NULL, http_thread, h);
	if (ret) {
		pthread_mutex_destroy(&h->lock);
		kit_err("http", "cannot start the event thread: %s",
			strerror(ret));
		http_close(h, dev);
		return -ret;
	}
	h->thread_started = true;
	return 0;

fail_nomem:
	http_close(h, dev);
	return -ENOMEM;
}

static void http_close(void *ctx, const struct bdus_dev *dev)
{
	struct http *h = ctx;
	uint32_t i;

	(void)dev;
	if (h->thread_started) {
		pthread_mutex_lock(&h->lock);
		h->stop = true;
		pthread_mutex_unlock(&h->lock);
		curl_multi_wakeup(h->multi);
		pthread_join(h->thread, NULL);
		h->thread_started = false;
		pthread_mutex_destroy(&h->lock);
		/* In flight when it stopped: answered, never left waiting. */
		for (i = 0; i < h->nxfers; i++) {
			struct http_xfer *x = &h->xfers[i];

			if (!x->easy)
				continue;
			curl_multi_remove_handle(h->multi, x->easy);
			h->idle[h->nidle++] = x->easy;
			x->easy = NULL;
			bdus_complete(x->req, -EIO);
		}
	}
	for (i = 0; i < h->nidle; i++)
		curl_easy_cleanup(h->idle[i]);
	h->nidle = 0;
	if (h->multi)
		curl_multi_cleanup(h->multi);
	h->multi = NULL;
	free(h->idle);
	h->idle = NULL;
	free(h->xfers);
	h->xfers = NULL;
	h->nxfers = 0;
}

static const struct storage_engine http_engine = {
	.name = "http",
	.open = http_open,
	.close = http_close,
	.read = http_read,
	.write = http_write,
	.cancel = http_cancel,
};

/* ------------------------------------------------------------------------
 * Setting up
 */

static int http_setup(void *ctx, const char *arg,
		      const struct kit_source *inner, struct kit_source *src)
{
	struct http *h = ctx;
	CURLcode rc;

	(void)inner;
	if (!h->connections)
		h->connections = HTTP_DEF_CONNECTIONS;
	h->retries = h->retries ? h->retries - 1 : HTTP_DEF_RETRIES;
	/* Attempts in all: the first and the retries. */
	h->retries += 1;
	if (!h->timeout)
		h->timeout = HTTP_DEF_TIMEOUT;
	if (!h->connect_timeout)
		h->connect_timeout = 10;
	rc = curl_global_init(CURL_GLOBAL_DEFAULT);
	if (rc) {
		kit_err("http", "cannot initialise libcurl: %s",
			curl_easy_strerror(rc));
		return -1;
	}
	if (http_probe(h, arg)) {
		curl_global_cleanup();
		return -1;
	}
	src->size = h->size;
	src->read_only = true;
	snprintf(src->ident, sizeof(src->ident), "%s", h->ident);
	src->engine = &http_engine;
	src->ctx = h;
	return 0;
}

static void http_teardown(void *ctx)
{
	struct http *h = ctx;

	free(h->url);
	h->url = NULL;
	curl_global_cleanup();
}

const struct kit_engine kit_http = {
	.name = "http",
	.arg_name = "URL",
	.summary = "a read-only disk served from a URL (HTTP Range requests)",
	.help = "      --connections N      (http) parallel connections "
		"(default 4, at most 64)\n"
		"      --retries N          (http) retries of a failed "
		"request, with backoff\n"
		"                           (default 5)\n"
		"      --http-timeout SECS  (http) a transfer without a byte "
		"for SECS fails\n"
		"                           (default 30)\n"
		"      --connect-timeout SECS (http) default 10\n"
		"      --insecure           (http) do not verify the TLS "
		"certificate\n",
	.longopts = http_opts,
	.ctx_size = sizeof(struct http),
	.parse = http_parse,
	.setup = http_setup,
	.teardown = http_teardown,
};
