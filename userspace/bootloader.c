// SPDX-License-Identifier: GPL-2.0
/*
 * What the boot loader would boot next, so that `keyhandover load` with no
 * --kernel loads the same kernel, initramfs and command line:
 *
 * 1. GRUB (boot/grub/grub.cfg): the entry its default names: an index
 *    ("2", "1>0" into a submenu), a title path ("Advanced options for
 *    Debian GNU/Linux>Debian GNU/Linux, with Linux 6.1.0-18-amd64") or an
 *    id path; "${saved_entry}" reads grubenv, and grubenv's next_entry
 *    (grub-reboot) wins for one boot, as GRUB's own script has it.
 * 2. Boot Loader Specification entries (the .conf files in
 *    boot/loader/entries):
 *    grubenv's saved_entry by file name, else the newest version.
 * 3. The vmlinuz and initrd.img links Debian keeps, in boot/ or (its
 *    default) in the root directory, with the running kernel's command
 *    line.
 *
 * grub.cfg is a script; this reads the subset grub-mkconfig writes:
 * menuentry and submenu blocks, linux/initrd lines, "set default=".
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bootloader.h"
#include "textfile.h"

#define KHU_BOOT_DEPTH	8	/* submenus inside submenus */
#define KHU_BOOT_WORDS	64

/*
 * Set when a word used a GRUB variable ($vt_handoff, ${extra_cmdline}),
 * GRUB syntax beyond plain words, or was cut: what the boot loader would
 * pass is then not what we read, and the entry is refused rather than
 * booted with the wrong command line.
 */
static bool khu_boot_unsure;

/*
 * One GRUB word, as GRUB's lexer and argument expansion read it: outside
 * quotes a backslash escapes any character; inside '...' nothing is
 * special; inside "..." only \$, \\ and \" are escapes (a backslash
 * before anything else stays). An unquoted '#' that starts a word starts
 * a comment. The line is unsure where GRUB would read more than words: a
 * variable ('$' outside '...'), a character that ends a GRUB word or
 * command ({}|&;<>), or a quote or backslash that continues the line.
 */
static const char *khu_boot_word(const char *p, char *out, size_t len)
{
	size_t n = 0;
	char q = 0;

	p += strspn(p, " \t");
	if (!*p || *p == '#')
		return NULL;
	for (; *p && (q || (*p != ' ' && *p != '\t')); p++) {
		if (!q && (*p == '\'' || *p == '"')) {
			q = *p;
			continue;
		}
		if (q && *p == q) {
			q = 0;
			continue;
		}
		if ((*p == '$' && q != '\'') || (!q && strchr("{}|&;<>", *p)))
			khu_boot_unsure = true;
		if (*p == '\\' && q != '\'' && !p[1])
			khu_boot_unsure = true;
		else if (*p == '\\' && (!q || (q == '"' && strchr("$\\\"", p[1]))))
			p++;
		if (n + 1 < len)
			out[n++] = *p;
		else
			khu_boot_unsure = true;
	}
	if (q)
		khu_boot_unsure = true;
	out[n] = '\0';
	return p;
}

/* Split @line into words; returns how many (at most KHU_BOOT_WORDS). */
static int khu_boot_split(const char *line, char w[][KHU_BOOT_STR])
{
	int n = 0;

	while (n < KHU_BOOT_WORDS && (line = khu_boot_word(line, w[n], KHU_BOOT_STR)))
		n++;
	return n;
}

/* The entry's id: after $menuentry_id_option or --id. */
static const char *khu_boot_id(char w[][KHU_BOOT_STR], int n)
{
	int i;

	for (i = 2; i + 1 < n; i++)
		if (!strcmp(w[i], "$menuentry_id_option") || !strcmp(w[i], "--id"))
			return w[i + 1];
	return "";
}

struct khu_boot_frame {
	char title[KHU_BOOT_STR];
	char id[KHU_BOOT_STR];
	char index[32];
	unsigned int next;	/* index of the next entry at this level */
};

struct khu_boot_grub {
	struct khu_boot_frame f[KHU_BOOT_DEPTH + 1];
	int depth;		/* f[0] is the top level */
	struct khu_boot_entry *cur;
	struct khu_boot_entry *out;
	unsigned int cap, n;
	char (*w)[KHU_BOOT_STR];
};

/* "parent>child", or just "child" at the top level. */
static void khu_boot_path(char *out, size_t len, const char *parent,
			  const char *child)
{
	if (*parent)
		snprintf(out, len, "%s>%s", parent, child);
	else
		snprintf(out, len, "%s", child);
}

/* A menuentry or submenu line opens a block at the current level. */
static int khu_boot_open(struct khu_boot_grub *g, int nw, bool submenu)
{
	struct khu_boot_frame *p = &g->f[g->depth];
	char index[32], title[KHU_BOOT_STR], id[KHU_BOOT_STR];

	if (nw < 2)
		return -EINVAL;
	snprintf(index, sizeof(index), "%s%s%u", p->index, *p->index ? ">" : "",
		 p->next++);
	khu_boot_path(title, sizeof(title), p->title, g->w[1]);
	khu_boot_path(id, sizeof(id), p->id, khu_boot_id(g->w, nw));
	if (submenu) {
		if (g->depth == KHU_BOOT_DEPTH)
			return -E2BIG;
		p = &g->f[++g->depth];
		memset(p, 0, sizeof(*p));
		snprintf(p->title, sizeof(p->title), "%s", title);
		snprintf(p->id, sizeof(p->id), "%s", id);
		snprintf(p->index, sizeof(p->index), "%s", index);
		return 0;
	}
	if (g->n == g->cap)
		return -E2BIG;
	g->cur = &g->out[g->n++];
	memset(g->cur, 0, sizeof(*g->cur));
	snprintf(g->cur->index, sizeof(g->cur->index), "%s", index);
	snprintf(g->cur->title, sizeof(g->cur->title), "%s", title);
	snprintf(g->cur->id, sizeof(g->cur->id), "%s", id);
	return 0;
}

/*
 * The kernel command line GRUB makes of the words from @from on
 * (grub_create_loader_cmdline()): single spaces between them, and a word
 * with a space in double quotes, which the kernel reads as one parameter.
 * GRUB versions escape '\\', '\'' and '"' inside a word differently, and
 * the kernel reads no escapes: such a word is refused (-EILSEQ) rather
 * than guessed. -EDOM: the line does not fit.
 */
static int khu_boot_join(char *out, size_t len, char w[][KHU_BOOT_STR],
			 int from, int n)
{
	size_t off = 0;
	int i;

	out[0] = '\0';
	for (i = from; i < n; i++) {
		const char *q = strchr(w[i], ' ') ? "\"" : "";

		if (strpbrk(w[i], "\\'\""))
			return -EILSEQ;
		off += snprintf(out + off, len - off, "%s%s%s%s",
				i > from ? " " : "", q, w[i], q);
		if (off >= len)
			return -EDOM;
	}
	return 0;
}

/* A line inside a menuentry: only the kernel and initrd lines matter. */
static void khu_boot_entry_line(struct khu_boot_grub *g, int nw, bool unsure)
{
	struct khu_boot_entry *e = g->cur;

	if (unsure && (!strcmp(g->w[0], "linux") || !strcmp(g->w[0], "linuxefi") ||
		       !strcmp(g->w[0], "linux16") || !strncmp(g->w[0], "initrd", 6)))
		e->unsure = true;

	if (nw >= 2 && (!strcmp(g->w[0], "linux") || !strcmp(g->w[0], "linuxefi") ||
			!strcmp(g->w[0], "linux16"))) {
		int ret;

		snprintf(e->kernel, sizeof(e->kernel), "%s", g->w[1]);
		ret = khu_boot_join(e->options, sizeof(e->options), g->w, 2,
				    nw);
		e->unsure |= ret == -EDOM;
		e->odd_quote |= ret == -EILSEQ;
	} else if (nw >= 2 && (!strcmp(g->w[0], "initrd") ||
			       !strcmp(g->w[0], "initrdefi") ||
			       !strcmp(g->w[0], "initrd16"))) {
		/* Microcode images come first; the initramfs is the last. */
		snprintf(e->initrd, sizeof(e->initrd), "%s", g->w[nw - 1]);
	}
}

/*
 * Parse grub.cfg text into menu entries (in menu order) and the default
 * GRUB would use, unexpanded ("0", "${saved_entry}", a title...). The
 * last "set default=" that is not the next_entry branch wins, which is
 * how grub-mkconfig's header reads.
 */
int khu_boot_grub_parse(const char *cfg, struct khu_boot_entry *out,
			unsigned int cap, unsigned int *count, char *dflt,
			size_t dflt_len)
{
	static char words[KHU_BOOT_WORDS][KHU_BOOT_STR];
	struct khu_boot_grub g = { .out = out, .cap = cap, .w = words };
	char line[KHU_BOOT_STR * 2];
	const char *p = cfg;
	int ret = 0;

	snprintf(dflt, dflt_len, "0");
	while (*p && !ret) {
		size_t len = strcspn(p, "\n");
		int nw;

		snprintf(line, sizeof(line), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		khu_boot_unsure = len >= sizeof(line);
		nw = khu_boot_split(line, words);
		if (!nw || words[0][0] == '#')
			continue;
		if (!strcmp(words[0], "menuentry") || !strcmp(words[0], "submenu"))
			ret = khu_boot_open(&g, nw, words[0][0] == 's');
		else if (!strcmp(words[0], "}") && g.cur)
			g.cur = NULL;
		else if (!strcmp(words[0], "}") && g.depth)
			g.depth--;
		else if (g.cur)
			khu_boot_entry_line(&g, nw, khu_boot_unsure);
		else if (nw >= 2 && !strcmp(words[0], "set") &&
			 !strncmp(words[1], "default=", 8) &&
			 strcmp(words[1] + 8, "${next_entry}"))
			snprintf(dflt, dflt_len, "%s", words[1] + 8);
	}
	*count = g.n;
	return ret;
}

/* KEY=value from grubenv's text into @out ("" when absent). */
void khu_boot_grubenv_get(const char *env, const char *key, char *out,
			  size_t len)
{
	size_t klen = strlen(key);
	const char *p = env;

	out[0] = '\0';
	while (*p) {
		size_t n = strcspn(p, "\n");

		if (n > klen && !strncmp(p, key, klen) && p[klen] == '=') {
			snprintf(out, len, "%.*s", (int)(n - klen - 1), p + klen + 1);
			return;
		}
		p += n + (p[n] == '\n');
	}
}

/* The entry GRUB's default @spec names: index, title path or id path. */
int khu_boot_grub_find(const struct khu_boot_entry *e, unsigned int n,
		       const char *spec)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (!strcmp(spec, e[i].index) || !strcmp(spec, e[i].title) ||
		    (e[i].id[0] && !strcmp(spec, e[i].id)))
			return i;
	return -ENOENT;
}

static void khu_boot_append(char *buf, size_t len, const char *v, size_t n,
			    bool *unsure)
{
	size_t off = strlen(buf);

	if (snprintf(buf + off, len - off, " %.*s", (int)n, v) >= (int)(len - off))
		*unsure = true;
}

/* One BLS entry file ("key value" lines); @name is its file name. */
int khu_boot_bls_parse(const char *text, const char *name,
		       struct khu_boot_entry *out)
{
	static const struct {
		const char *key;
		size_t off;
		size_t size;
	} keys[] = {
		{ "title", offsetof(struct khu_boot_entry, title), KHU_BOOT_STR },
		{ "linux", offsetof(struct khu_boot_entry, kernel), KHU_BOOT_STR },
		{ "initrd", offsetof(struct khu_boot_entry, initrd), KHU_BOOT_STR },
		{ "options", offsetof(struct khu_boot_entry, options), KHU_BOOT_STR },
		{ "version", offsetof(struct khu_boot_entry, version), 128 },
	};
	const char *p = text;
	size_t i;

	memset(out, 0, sizeof(*out));
	snprintf(out->id, sizeof(out->id), "%s", name);
	if (strlen(out->id) > 5 && !strcmp(out->id + strlen(out->id) - 5, ".conf"))
		out->id[strlen(out->id) - 5] = '\0';
	while (*p) {
		size_t n = strcspn(p, "\n");
		const char *v;

		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
			size_t k = strlen(keys[i].key);

			if (n <= k || strncmp(p, keys[i].key, k) ||
			    (p[k] != ' ' && p[k] != '\t'))
				continue;
			v = p + k + strspn(p + k, " \t");
			if (memchr(v, '$', n - (v - p)))
				out->unsure = true;	/* $kernelopts, say */
			/* Repeated options lines add up (the BLS spec). */
			if (!strcmp(keys[i].key, "options") && out->options[0])
				khu_boot_append(out->options, sizeof(out->options),
						v, n - (v - p), &out->unsure);
			else if (snprintf((char *)out + keys[i].off, keys[i].size,
					  "%.*s", (int)(n - (v - p)), v) >=
				 (int)keys[i].size)
				out->unsure = true;
		}
		p += n + (p[n] == '\n');
	}
	return out->kernel[0] ? 0 : -EINVAL;
}

/* Newer first: "6.12.10" after "6.12.9", "6.1.0-18" after "6.1.0-9". */
int khu_boot_version_cmp(const char *a, const char *b)
{
	return strverscmp(a, b);
}

/*
 * The kernel release a Debian-style image path names: "/boot/vmlinuz-6.12.1-amd64"
 * -> "6.12.1-amd64" (also vmlinux-, and a kernel under --root). -EINVAL
 * when the file name carries none.
 */
int khu_boot_kernel_release(const char *path, char *out, size_t len)
{
	static const char *const prefixes[] = { "vmlinuz-", "vmlinux-" };
	const char *base = strrchr(path, '/');
	size_t i;

	base = base ? base + 1 : path;
	for (i = 0; i < sizeof(prefixes) / sizeof(prefixes[0]); i++) {
		size_t n = strlen(prefixes[i]);

		if (strncmp(base, prefixes[i], n) || !base[n])
			continue;
		if (snprintf(out, len, "%s", base + n) >= (int)len)
			return -ENAMETOOLONG;
		return 0;
	}
	return -EINVAL;
}

/* ---- reading the files ------------------------------------------------- */

/* @root + @path into @out, or -ENOENT when no such file. */
static int khu_boot_file(const char *root, const char *path, char *out,
			 size_t len)
{
	if (snprintf(out, len, "%s%s", strcmp(root, "/") ? root : "", path) >=
	    (int)len)
		return -ENAMETOOLONG;
	return access(out, R_OK) ? -errno : 0;
}

/*
 * A kernel or initrd path as the boot loader names it: relative to the
 * file system GRUB reads, which is / or, with a separate /boot, /boot.
 */
static int khu_boot_host_path(const char *root, const char *path, char *out,
			      size_t len)
{
	char boot[KHU_BOOT_STR];

	if (!khu_boot_file(root, path, out, len))
		return 0;
	snprintf(boot, sizeof(boot), "/boot%s", path);
	return khu_boot_file(root, boot, out, len);
}

/*
 * The chosen entry's files and command line. Never a silent fallback: an
 * entry whose files are not where it says (-ENXIO), whose lines use GRUB
 * variables or were cut (-EDOM), or whose kernel arguments hold a quote
 * or backslash (-EILSEQ) is refused, with its paths in @c.
 */
static int khu_boot_take(const char *root, const struct khu_boot_entry *e,
			 struct khu_boot_choice *c)
{
	if (!e->kernel[0] || !e->initrd[0])
		return -ENOEXEC;
	if (e->unsure)
		return -EDOM;
	if (e->odd_quote)
		return -EILSEQ;
	if (khu_boot_host_path(root, e->kernel, c->kernel, sizeof(c->kernel)) ||
	    khu_boot_host_path(root, e->initrd, c->initrd, sizeof(c->initrd))) {
		snprintf(c->kernel, sizeof(c->kernel), "%s", e->kernel);
		snprintf(c->initrd, sizeof(c->initrd), "%s", e->initrd);
		return -ENXIO;
	}
	snprintf(c->options, sizeof(c->options), "%s", e->options);
	return 0;
}

/* grubenv next_entry (one boot), else saved_entry. */
static void khu_boot_saved(const char *root, char *out, size_t len,
			   const char **which)
{
	char path[KHU_BOOT_STR], *env = NULL;

	out[0] = '\0';
	if ((khu_boot_file(root, "/boot/grub/grubenv", path, sizeof(path)) &&
	     khu_boot_file(root, "/boot/grub2/grubenv", path, sizeof(path))) ||
	    khu_text_read(path, 1 << 20, &env))
		return;
	khu_boot_grubenv_get(env, "next_entry", out, len);
	*which = "next_entry";
	if (!out[0]) {
		khu_boot_grubenv_get(env, "saved_entry", out, len);
		*which = "saved_entry";
	}
	free(env);
}

static int khu_boot_from_grub(const char *root, struct khu_boot_choice *c)
{
	char path[KHU_BOOT_STR], spec[KHU_BOOT_STR], saved[KHU_BOOT_STR];
	const char *which = "default";
	struct khu_boot_entry *e;
	unsigned int n = 0;
	char *cfg = NULL;
	int ret, i;

	/* Debian's grub, or Fedora's grub2. */
	if (khu_boot_file(root, "/boot/grub/grub.cfg", path, sizeof(path)) &&
	    khu_boot_file(root, "/boot/grub2/grub.cfg", path, sizeof(path)))
		return -ENOENT;
	ret = khu_text_read(path, 4 << 20, &cfg);
	if (ret)
		return ret;
	e = calloc(KHU_BOOT_MAX, sizeof(*e));
	ret = e ? khu_boot_grub_parse(cfg, e, KHU_BOOT_MAX, &n, spec, sizeof(spec)) :
		  -ENOMEM;
	free(cfg);
	if (!ret && !n)
		ret = -ENOENT;	/* blscfg: the entries are BLS files */
	khu_boot_saved(root, saved, sizeof(saved), &which);
	/* GRUB's script: next_entry first, then its default. */
	if (!ret && !strcmp(which, "next_entry") && saved[0])
		snprintf(spec, sizeof(spec), "%s", saved);
	else if (!ret && !strcmp(spec, "${saved_entry}"))
		snprintf(spec, sizeof(spec), "%s", saved[0] ? saved : "0");
	else
		which = "default";
	i = ret ? ret : khu_boot_grub_find(e, n, spec);
	if (i >= 0) {
		ret = khu_boot_take(root, &e[i], c);
		snprintf(c->source, sizeof(c->source), "GRUB %s '%s': '%s'",
			 which, spec, e[i].title);
	} else if (!ret) {
		ret = -ESRCH;
		snprintf(c->source, sizeof(c->source), "GRUB %s '%s'", which, spec);
	}
	free(e);
	return ret;
}

static int khu_boot_from_bls(const char *root, struct khu_boot_choice *c)
{
	char dir[KHU_BOOT_STR], path[KHU_BOOT_STR * 2], saved[KHU_BOOT_STR];
	struct khu_boot_entry e, best;
	const char *which = "";
	struct dirent *d;
	bool found = false;
	char *text;
	DIR *dp;

	if (khu_boot_file(root, "/boot/loader/entries", dir, sizeof(dir)))
		return -ENOENT;
	dp = opendir(dir);
	if (!dp)
		return -errno;
	khu_boot_saved(root, saved, sizeof(saved), &which);
	while ((d = readdir(dp))) {
		size_t l = strlen(d->d_name);

		if (l < 6 || strcmp(d->d_name + l - 5, ".conf"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (khu_text_read(path, 1 << 20, &text))
			continue;
		if (!khu_boot_bls_parse(text, d->d_name, &e) &&
		    (!found || (saved[0] && !strcmp(e.id, saved)) ||
		     (!(saved[0] && !strcmp(best.id, saved)) &&
		      khu_boot_version_cmp(e.version, best.version) > 0))) {
			best = e;
			found = true;
		}
		free(text);
	}
	closedir(dp);
	if (!found)
		return -ENOENT;
	snprintf(c->source, sizeof(c->source), "Boot Loader Specification entry '%s'%s",
		 best.id, saved[0] && !strcmp(best.id, saved) ? " (saved_entry)" :
		 " (newest version)");
	return khu_boot_take(root, &best, c);
}

/*
 * A link's target, for the user to see which kernel it is; kept as it is
 * when the target would leave @root (an absolute link under --root).
 */
static void khu_boot_resolve(const char *root, char *path, size_t len)
{
	char *real = realpath(path, NULL);
	size_t n = strcmp(root, "/") ? strlen(root) : 0;

	if (real && strlen(real) < len && !strncmp(real, root, n) &&
	    (real[n] == '/' || !n))
		snprintf(path, len, "%s", real);
	free(real);
}

/*
 * The vmlinuz and initrd.img links Debian keeps (linux-update-symlinks):
 * in / by default, in /boot with link_in_boot in /etc/kernel-img.conf.
 * With the running kernel's command line.
 */
static int khu_boot_from_links(const char *root, struct khu_boot_choice *c)
{
	static const char *const dirs[] = { "/boot", "" };
	char kernel[32], initrd[32];
	int ret = -ENOENT;
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && ret; i++) {
		snprintf(kernel, sizeof(kernel), "%s/vmlinuz", dirs[i]);
		snprintf(initrd, sizeof(initrd), "%s/initrd.img", dirs[i]);
		ret = khu_boot_file(root, kernel, c->kernel, sizeof(c->kernel));
		if (!ret)
			ret = khu_boot_file(root, initrd, c->initrd,
					    sizeof(c->initrd));
	}
	c->options[0] = '\0';
	if (ret) {
		snprintf(c->source, sizeof(c->source),
			 "the vmlinuz and initrd.img links in /boot or /");
		return ret;
	}
	snprintf(c->source, sizeof(c->source), "the %s and %s links", kernel,
		 initrd);
	khu_boot_resolve(root, c->kernel, sizeof(c->kernel));
	khu_boot_resolve(root, c->initrd, sizeof(c->initrd));
	return 0;
}

/*
 * What the boot loader under @root ("/" for this system) would boot next.
 * An empty c->options means "the running kernel's command line" (the
 * caller reads it). -ESRCH: GRUB's default names no entry (c->source says
 * which); -ENOEXEC: the entry has no kernel or initrd line.
 */
int khu_boot_choose(const char *root, struct khu_boot_choice *c)
{
	int ret;

	memset(c, 0, sizeof(*c));
	ret = khu_boot_from_grub(root, c);
	if (ret == -ENOENT)
		ret = khu_boot_from_bls(root, c);
	if (ret == -ENOENT)
		ret = khu_boot_from_links(root, c);
	return ret;
}
