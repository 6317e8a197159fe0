// SPDX-License-Identifier: MIT
/*
 * busectl_print.c - busectl's output, text and JSON.  A field table per
 * structure (struct buse_dev_info, struct buse_version) names each field
 * in the text output and in JSON and says how to get its value; the text
 * and the JSON printers walk the same table.  No system calls (output goes
 * to a FILE given by the caller), so unit tests link this file directly.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "busectl_print.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------------
 * Names of bits
 */

struct bit_name {
	uint64_t bit;
	const char *name;
};

static const struct bit_name op_bits[] = {
	{ BUSE_OP_BIT(BUSE_OP_READ), "read" },
	{ BUSE_OP_BIT(BUSE_OP_WRITE), "write" },
	{ BUSE_OP_BIT(BUSE_OP_FLUSH), "flush" },
	{ BUSE_OP_BIT(BUSE_OP_DISCARD), "discard" },
	{ BUSE_OP_BIT(BUSE_OP_WRITE_ZEROES), "write_zeroes" },
	{ BUSE_OP_BIT(BUSE_OP_SECURE_ERASE), "secure_erase" },
	{ BUSE_OPS_FUA, "fua" },
};

static const struct bit_name dev_flag_bits[] = {
	{ BUSE_DEV_F_READ_ONLY, "read_only" },
	{ BUSE_DEV_F_ROTATIONAL, "rotational" },
	{ BUSE_DEV_F_NO_WRITE_CACHE, "no_write_cache" },
	{ BUSE_DEV_F_NO_PARTSCAN, "no_partscan" },
	{ BUSE_DEV_F_RECOVERABLE, "recoverable" },
	{ BUSE_DEV_F_OWNER, "owner" },
	{ BUSE_DEV_F_PARTSCAN, "partscan" },
};

static const struct bit_name feature_bits[] = {
	{ BUSE_FEAT_RING, "ring" },
	{ BUSE_FEAT_SIZE_BY_SERVER, "size_by_server" },
};

/* ------------------------------------------------------------------------
 * Values, as the field getters give them
 */

enum val_type {
	V_NUM,	    /* a number in both outputs */
	V_NUM_DASH, /* a number; "-" in text when 0 */
	V_BOOL,	    /* true or false in both */
	V_NULL,	    /* "-" in text, null in JSON */
	V_STR,	    /* as is in text, a string in JSON */
	V_BITS,	    /* text: the words joined ("-": none); JSON: num */
	V_HEX_BITS, /* text: "0x<num> (<words joined>)"; JSON: num */
	V_WORDS,    /* text: the words joined; JSON: an array of strings */
};

#define MAX_WORDS 64

struct val {
	enum val_type type;
	uint64_t num;
	const char *str; /* V_STR: len bytes, or up to a NUL */
	size_t len;
	const char *words[MAX_WORDS]; /* V_BITS, V_HEX_BITS, V_WORDS */
	size_t nr_words;
	char buf[64]; /* storage for str or a word */
};

static void set_num(struct val *v, enum val_type type, uint64_t num)
{
	v->type = type;
	v->num = num;
}

static void set_str(struct val *v, const char *s, size_t len)
{
	v->type = V_STR;
	v->str = s;
	v->len = len;
}

/* V_STR from a format, kept in v->buf. */
__attribute__((format(printf, 2, 3))) static void set_strf(struct val *v,
							   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v->buf, sizeof(v->buf), fmt, ap);
	va_end(ap);
	set_str(v, v->buf, sizeof(v->buf));
}

/*
 * The names of the bits of mask, in table order; bits without a name, if
 * any, as one more word "0x..." when hex_unknown (else they are dropped).
 */
static void set_bits(struct val *v, enum val_type type, uint64_t mask,
		     const struct bit_name *names, size_t nr, bool hex_unknown)
{
	uint64_t known = 0;
	size_t i;

	set_num(v, type, mask);
	v->nr_words = 0;
	for (i = 0; i < nr; i++) {
		known |= names[i].bit;
		if ((mask & names[i].bit) && v->nr_words < MAX_WORDS)
			v->words[v->nr_words++] = names[i].name;
	}
	if (hex_unknown && (mask & ~known) && v->nr_words < MAX_WORDS) {
		snprintf(v->buf, sizeof(v->buf), "0x%" PRIx64, mask & ~known);
		v->words[v->nr_words++] = v->buf;
	}
}

/* Append ",word" (or "word" at the start) to buf, truncating safely. */
static void append_word(char *buf, size_t len, const char *word)
{
	size_t n = strlen(buf);

	if (n + 1 >= len)
		return;
	snprintf(buf + n, len - n, "%s%s", n ? "," : "", word);
}

/* The words of v joined with ",", or "-" when there are none. */
static char *join_words(const struct val *v, char *buf, size_t len)
{
	size_t i;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < v->nr_words; i++)
		append_word(buf, len, v->words[i]);
	if (!buf[0])
		snprintf(buf, len, "-");
	return buf;
}

static void print_text_val(FILE *f, const struct val *v)
{
	char words[256];

	switch (v->type) {
	case V_NUM_DASH:
		if (!v->num) {
			fputs("-", f);
			break;
		}
		/* fall through */
	case V_NUM:
		fprintf(f, "%" PRIu64, v->num);
		break;
	case V_BOOL:
		fputs(v->num ? "true" : "false", f);
		break;
	case V_NULL:
		fputs("-", f);
		break;
	case V_STR:
		fprintf(f, "%.*s", (int)strnlen(v->str, v->len), v->str);
		break;
	case V_HEX_BITS:
		fprintf(f, "0x%" PRIx64 " (%s)", v->num,
			join_words(v, words, sizeof(words)));
		break;
	case V_BITS:
	case V_WORDS:
		fputs(join_words(v, words, sizeof(words)), f);
		break;
	}
}

static void print_json_val(FILE *f, const struct val *v)
{
	size_t i;

	switch (v->type) {
	case V_NUM:
	case V_NUM_DASH:
	case V_BITS:
	case V_HEX_BITS:
		fprintf(f, "%" PRIu64, v->num);
		break;
	case V_BOOL:
		fputs(v->num ? "true" : "false", f);
		break;
	case V_NULL:
		fputs("null", f);
		break;
	case V_STR:
		busectl_json_string(f, v->str, v->len);
		break;
	case V_WORDS:
		putc('[', f);
		for (i = 0; i < v->nr_words; i++) {
			if (i)
				fputs(", ", f);
			busectl_json_string(f, v->words[i],
					    strlen(v->words[i]));
		}
		putc(']', f);
		break;
	}
}

/* ------------------------------------------------------------------------
 * JSON strings
 */

/* Length of the valid UTF-8 sequence that starts s (n > 0 bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	size_t len, i;

	if (s[0] < 0x80)
		return 1;
	if (s[0] < 0xc2 || s[0] > 0xf4)
		return 0;
	len = s[0] < 0xe0 ? 2 : s[0] < 0xf0 ? 3 : 4;
	if (s[0] == 0xe0)
		lo = 0xa0; /* no overlong 3-byte form */
	else if (s[0] == 0xed)
		hi = 0x9f; /* no surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90; /* no overlong 4-byte form */
	else if (s[0] == 0xf4)
		hi = 0x8f; /* nothing above U+10FFFF */
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return len;
}

void busectl_json_string(FILE *f, const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;

	len = strnlen(s, len);
	putc('"', f);
	while (i < len) {
		if (p[i] == '"' || p[i] == '\\') {
			putc('\\', f);
			putc(p[i++], f);
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			fprintf(f, "\\u%04x", p[i++]);
		} else if ((n = utf8_len(p + i, len - i)) == 0) {
			fputs("\\ufffd", f);
			i++;
		} else {
			fwrite(p + i, 1, n, f);
			i += n;
		}
	}
	putc('"', f);
}

/* ------------------------------------------------------------------------
 * Field tables
 */

struct field {
	const char *text; /* "key" of the text output; NULL: JSON only */
	const char *json; /* key in JSON; NULL: text only */
	void (*get)(const void *obj, size_t off, struct val *v);
	size_t off; /* for get_u32 */
	bool words; /* show the words of the value (V_WORDS) */
};

static void get_u32(const void *obj, size_t off, struct val *v)
{
	uint32_t x;

	memcpy(&x, (const char *)obj + off, sizeof(x));
	set_num(v, V_NUM, x);
}

/*
 * A __u32 member shown under its own name in both outputs.  The array
 * size is negative, and the build fails, if the member is not 4 bytes.
 */
#define U32_FIELD(type, m)                                             \
	{                                                              \
#m, #m, get_u32, BUSECTL_MEMBER_OFF(type, m, 4), false \
	}

#define DEV_U32(m) U32_FIELD(struct buse_dev_info, m)
#define VER_U32(m) U32_FIELD(struct buse_version, m)

#define DEV(obj) ((const struct buse_dev_info *)(obj))

static void get_path(const void *d, size_t off, struct val *v)
{
	(void)off;
	set_strf(v, BUSE_BLOCK_DEVICE_FMT, DEV(d)->index);
}

static void get_char_path(const void *d, size_t off, struct val *v)
{
	(void)off;
	set_strf(v, BUSE_CHAR_DEVICE_FMT, DEV(d)->index);
}

static void get_size(const void *d, size_t off, struct val *v)
{
	(void)off;
	set_num(v, V_NUM, DEV(d)->size);
}

static void get_size_human(const void *d, size_t off, struct val *v)
{
	(void)off;
	busectl_format_size(DEV(d)->size, v->buf, sizeof(v->buf));
	set_str(v, v->buf, sizeof(v->buf));
}

/* The state's name, or "unknown(N)". */
static const char *state_str(uint32_t state, char *buf, size_t len)
{
	const char *s = busectl_state_name(state);

	if (strcmp(s, "unknown") == 0) {
		snprintf(buf, len, "unknown(%" PRIu32 ")", state);
		return buf;
	}
	return s;
}

static void get_state(const void *d, size_t off, struct val *v)
{
	const char *s = state_str(DEV(d)->state, v->buf, sizeof(v->buf));

	(void)off;
	set_str(v, s, strlen(s));
}

static void get_server_pid(const void *d, size_t off, struct val *v)
{
	int32_t pid = DEV(d)->server_pid;

	(void)off;
	set_num(v, V_NUM_DASH, pid > 0 ? (uint64_t)pid : 0);
}

static void get_read_only(const void *d, size_t off, struct val *v)
{
	(void)off;
	set_num(v, V_BOOL, !!(DEV(d)->flags & BUSE_DEV_F_READ_ONLY));
}

static void get_ops(const void *d, size_t off, struct val *v)
{
	(void)off;
	set_bits(v, V_BITS, DEV(d)->ops, op_bits, ARRAY_SIZE(op_bits), false);
}

static void get_flags(const void *d, size_t off, struct val *v)
{
	(void)off;
	set_bits(v, V_BITS, DEV(d)->flags, dev_flag_bits,
		 ARRAY_SIZE(dev_flag_bits), false);
}

/* Text: "-", "UID" or "UID:GID". */
static void get_owner(const void *d, size_t off, struct val *v)
{
	const struct buse_dev_info *dev = DEV(d);

	(void)off;
	if (!(dev->flags & BUSE_DEV_F_OWNER))
		v->type = V_NULL;
	else if (dev->owner_gid == BUSE_NO_GROUP)
		set_strf(v, "%" PRIu32, dev->owner_uid);
	else
		set_strf(v, "%" PRIu32 ":%" PRIu32, dev->owner_uid,
			 dev->owner_gid);
}

static void get_owner_uid(const void *d, size_t off, struct val *v)
{
	(void)off;
	if (DEV(d)->flags & BUSE_DEV_F_OWNER)
		set_num(v, V_NUM, DEV(d)->owner_uid);
	else
		v->type = V_NULL;
}

static void get_owner_gid(const void *d, size_t off, struct val *v)
{
	(void)off;
	if ((DEV(d)->flags & BUSE_DEV_F_OWNER) &&
	    DEV(d)->owner_gid != BUSE_NO_GROUP)
		set_num(v, V_NUM, DEV(d)->owner_gid);
	else
		v->type = V_NULL;
}

/* serial[] need not end with a NUL: its length is its size at most. */
static void get_serial(const void *d, size_t off, struct val *v)
{
	const char *s = (const char *)DEV(d)->serial;

	(void)off;
	if (s[0])
		set_str(v, s, sizeof(DEV(d)->serial));
	else
		v->type = V_NULL;
}

/*
 * The device's fields in output order.  Where the text and JSON outputs
 * differ in order (owner, serial) or content, a row is text or JSON only.
 */
static const struct field dev_fields[] = {
	DEV_U32(index),
	{ "path", "path", get_path, 0, false },
	{ "char_path", "char_path", get_char_path, 0, false },
	{ "size", "size", get_size, 0, false },
	{ "size_human", NULL, get_size_human, 0, false },
	{ "state", "state", get_state, 0, false },
	{ "server_pid", "server_pid", get_server_pid, 0, false },
	DEV_U32(nr_queues),
	DEV_U32(nr_poll_queues),
	DEV_U32(queue_depth),
	DEV_U32(max_io),
	DEV_U32(logical_block_size),
	DEV_U32(physical_block_size),
	{ "read_only", "read_only", get_read_only, 0, false },
	{ "ops", "ops", get_ops, 0, false },
	{ NULL, "op_names", get_ops, 0, true },
	{ "flags", "flags", get_flags, 0, false },
	{ NULL, "flag_names", get_flags, 0, true },
	DEV_U32(io_min),
	DEV_U32(io_opt),
	DEV_U32(discard_granularity),
	DEV_U32(max_discard),
	DEV_U32(max_write_zeroes),
	DEV_U32(timeout),
	DEV_U32(recovery_timeout),
	{ "owner", NULL, get_owner, 0, false },
	{ "serial", "serial", get_serial, 0, false },
	{ NULL, "owner_uid", get_owner_uid, 0, false },
	{ NULL, "owner_gid", get_owner_gid, 0, false },
};

#define VER(obj) ((const struct buse_version *)(obj))

static void get_busectl_abi(const void *obj, size_t off, struct val *v)
{
	(void)obj;
	(void)off;
	set_num(v, V_NUM, BUSE_ABI_VERSION);
}

static void get_features(const void *obj, size_t off, struct val *v)
{
	(void)off;
	set_bits(v, V_HEX_BITS, VER(obj)->features, feature_bits,
		 ARRAY_SIZE(feature_bits), true);
}

static const struct field version_fields[] = {
	VER_U32(abi_version),
	{ "busectl_abi_version", "busectl_abi_version", get_busectl_abi, 0,
	  false },
	{ "features", "features", get_features, 0, false },
	{ NULL, "feature_names", get_features, 0, true },
	VER_U32(max_index),
	VER_U32(max_queues),
	VER_U32(max_depth),
	VER_U32(max_io),
};

static void get_field(const struct field *field, const void *obj, struct val *v)
{
	memset(v, 0, sizeof(*v));
	field->get(obj, field->off, v);
	if (field->words)
		v->type = V_WORDS;
}

/* "key: value" lines. */
static void print_text(FILE *f, const struct field *fields, size_t nr,
		       const void *obj)
{
	struct val v;
	size_t i;

	for (i = 0; i < nr; i++) {
		if (!fields[i].text)
			continue;
		get_field(&fields[i], obj, &v);
		fprintf(f, "%s: ", fields[i].text);
		print_text_val(f, &v);
		putc('\n', f);
	}
}

/* A JSON object, one member a line, each line indented by in. */
static void print_json(FILE *f, const struct field *fields, size_t nr,
		       const void *obj, const char *in)
{
	bool first = true;
	struct val v;
	size_t i;

	if (!in)
		in = "";
	fprintf(f, "%s{\n", in);
	for (i = 0; i < nr; i++) {
		if (!fields[i].json)
			continue;
		get_field(&fields[i], obj, &v);
		fprintf(f, "%s%s  ", first ? "" : ",\n", in);
		busectl_json_string(f, fields[i].json, strlen(fields[i].json));
		fputs(": ", f);
		print_json_val(f, &v);
		first = false;
	}
	fprintf(f, "\n%s}", in);
}

/* ------------------------------------------------------------------------
 * Public formatters and printers
 */

char *busectl_format_size(uint64_t size, char *buf, size_t len)
{
	static const char units[] = "KMGT";
	uint64_t unit = 1024, whole, rem, tenths;
	int u = 0;

	if (size == 0) {
		snprintf(buf, len, "0");
		return buf;
	}
	if (size < 1024) {
		snprintf(buf, len, "%" PRIu64 "B", size);
		return buf;
	}
	while (u < 3 && size >= unit * 1024) {
		unit *= 1024;
		u++;
	}
	whole = size / unit;
	rem = size % unit;
	if (rem == 0) {
		snprintf(buf, len, "%" PRIu64 "%c", whole, units[u]);
		return buf;
	}
	tenths = (rem * 10 + unit / 2) / unit; /* rem < 2^40: no overflow */
	if (tenths == 10) {
		whole++;
		tenths = 0;
	}
	snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%c", whole, tenths,
		 units[u]);
	return buf;
}

const char *busectl_state_name(uint32_t state)
{
	switch (state) {
	case BUSE_STATE_IDLE:
		return "idle";
	case BUSE_STATE_RUNNING:
		return "running";
	case BUSE_STATE_REMOVING:
		return "removing";
	case BUSE_STATE_RECOVERING:
		return "recovering";
	default:
		return "unknown";
	}
}

char *busectl_format_ops(uint32_t ops, char *buf, size_t len)
{
	struct val v;

	set_bits(&v, V_BITS, ops, op_bits, ARRAY_SIZE(op_bits), false);
	return join_words(&v, buf, len);
}

char *busectl_format_dev_flags(uint32_t flags, char *buf, size_t len)
{
	struct val v;

	set_bits(&v, V_BITS, flags, dev_flag_bits, ARRAY_SIZE(dev_flag_bits),
		 false);
	return join_words(&v, buf, len);
}

void busectl_print_info(FILE *f, const struct buse_dev_info *d)
{
	print_text(f, dev_fields, ARRAY_SIZE(dev_fields), d);
}

void busectl_print_info_json(FILE *f, const struct buse_dev_info *d,
			     const char *in)
{
	print_json(f, dev_fields, ARRAY_SIZE(dev_fields), d, in);
}

void busectl_print_list_header(FILE *f)
{
	fprintf(f, "%-6s %8s %-10s %8s %6s %6s %5s\n", "INDEX", "SIZE", "STATE",
		"PID", "QUEUES", "DEPTH", "LBS");
}

void busectl_print_list_row(FILE *f, const struct buse_dev_info *d)
{
	char size[32], pid[16], st[32];

	if (d->server_pid > 0)
		snprintf(pid, sizeof(pid), "%" PRId32, d->server_pid);
	else
		snprintf(pid, sizeof(pid), "-");
	fprintf(f,
		"%-6" PRIu32 " %8s %-10s %8s %6" PRIu32 " %6" PRIu32
		" %5" PRIu32 "\n",
		d->index, busectl_format_size(d->size, size, sizeof(size)),
		state_str(d->state, st, sizeof(st)), pid, d->nr_queues,
		d->queue_depth, d->logical_block_size);
}

void busectl_print_list_hidden_row(FILE *f, uint32_t index)
{
	fprintf(f, "%-6" PRIu32 " %8s %-10s %8s %6s %6s %5s\n", index, "-",
		"(other's)", "-", "-", "-", "-");
}

void busectl_print_list_hidden_json(FILE *f, uint32_t index, const char *in)
{
	fprintf(f, "%s{\"index\": %" PRIu32 ", \"access\": false}",
		in ? in : "", index);
}

void busectl_print_version(FILE *f, const struct buse_version *v)
{
	print_text(f, version_fields, ARRAY_SIZE(version_fields), v);
}

void busectl_print_version_json(FILE *f, const struct buse_version *v)
{
	print_json(f, version_fields, ARRAY_SIZE(version_fields), v, "");
	putc('\n', f);
}
