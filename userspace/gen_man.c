// SPDX-License-Identifier: GPL-2.0
/*
 * gen_man: the parts of keyhandover(8) and of the bash completion that
 * list commands and options, made at build time from the tables the
 * parser and --help are made from (cli_commands.h, cli_options.h), so
 * that the three cannot drift. Not installed; not a part of the tool.
 *
 *   gen_man page DATE <keyhandover.8.in >keyhandover.8
 *   gen_man completion >keyhandover.bash
 *
 * page: the template is copied with @VERSION@ and @DATE@ filled in; a line
 * that is @SYNOPSIS@, @COMMANDS@, @OPTIONS@ or @OPERANDS@ becomes that
 * section's body, from the tables. The lines between "@COMMAND NAME" and
 * "@END" are NAME's prose, put after its line under COMMANDS; a block for
 * a command the table does not have fails the build, as do an unknown
 * marker and blocks with no @COMMANDS@ to put them in.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#ifndef KHU_VERSION
#error "KHU_VERSION is the top-level VERSION file (userspace/Makefile)"
#endif

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

struct khu_gen_opt {
	const char *name;		/* NULL: an operand */
	int short_name;
	const char *arg;
	unsigned int cmds;
	const char *synopsis;
	const char *help;
};

static const struct khu_gen_opt khu_gen_opts[] = {
#define KHU_OPTION(id, name, short_name, arg, store, field, cmds, synopsis, \
		   help) \
	{ name, short_name, arg, cmds, synopsis, help },
#include "cli_options.h"
#undef KHU_OPTION
};

struct khu_gen_cmd {
	const char *name;
	unsigned int bit;
	const char *help;
};

static const struct khu_gen_cmd khu_gen_cmds[] = {
#define KHU_COMMAND(name, bit, help) { #name, KHU_CMD_##bit, help },
#include "cli_commands.h"
#undef KHU_COMMAND
};

/* What the completion offers for an argument, by its placeholder. */
struct khu_gen_arg {
	const char *placeholder;
	const char *reply;		/* a shell function of the script */
};

static const struct khu_gen_arg khu_gen_args[] = {
	{ "FILE", "_keyhandover_files" },
	{ "DIR", "_keyhandover_dirs" },
	{ "DEVICE", "_keyhandover_devices" },
	{ "NAME", "_keyhandover_names" },
	{ "KEYRING", "_keyhandover_keyrings" },
};

static void __attribute__((noreturn)) khu_gen_die(const char *what)
{
	fprintf(stderr, "gen_man: %s\n", what);
	exit(1);
}

/* Names go into the script unquoted: letters, digits, '-' and '_' only. */
static const char *khu_gen_word(const char *s)
{
	const char *p;

	if (!s || !*s)
		khu_gen_die("an empty name in the tables");
	for (p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_')
			khu_gen_die("a name in the tables is not [A-Za-z0-9_-]");
	return s;
}

/* Text as roff reads it: '\' printed as itself, '-' as a minus. */
static void khu_roff_put(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\\')
			fputs("\\e", stdout);
		else if (s[i] == '-')
			fputs("\\-", stdout);
		else
			putchar(s[i]);
	}
}

/* How long @s is once khu_roff_put() has escaped it. */
static size_t khu_roff_len(const char *s)
{
	size_t n = strlen(s);

	for (; *s; s++)
		n += *s == '\\' || *s == '-';
	return n;
}

/*
 * Help text as a sentence, a capital first and a full stop last, in
 * lines of at most 72 bytes: mandoc -Tlint wants input lines under 80.
 */
static void khu_roff_sentence(const char *s)
{
	char word[256];
	size_t col = 0;
	int first = 1;

	while (*s) {
		size_t n = strcspn(s, " ");

		if (n + 2 > sizeof(word))
			khu_gen_die("a word of over 250 bytes in the tables");
		memcpy(word, s, n);
		word[n] = '\0';
		if (first && islower((unsigned char)word[0]))
			word[0] = toupper((unsigned char)word[0]);
		first = 0;
		s += n;
		while (*s == ' ')
			s++;
		if (!*s && n && word[n - 1] != '.')
			strcat(word, ".");
		n = khu_roff_len(word);
		if (col && col + 1 + n > 72) {
			putchar('\n');
			col = 0;
		} else if (col) {
			putchar(' ');
			col++;
		}
		/* A line that starts with '.' or '\'' would be a request. */
		if (!col && (word[0] == '.' || word[0] == '\'')) {
			fputs("\\&", stdout);
			col += 2;
		}
		khu_roff_put(word, strlen(word));
		col += n;
		/* Not the end of a sentence, which roff would widen. */
		if (*s && word[strlen(word) - 1] == '.') {
			fputs("\\&", stdout);
			col += 2;
		}
	}
	putchar('\n');
}

static int khu_is_word(char c)
{
	return isalnum((unsigned char)c) || c == '-' || c == '_';
}

/* All capitals (and digits): a placeholder such as FILE. */
static int khu_is_placeholder(const char *s, size_t n)
{
	size_t i;
	int letter = 0;

	for (i = 0; i < n; i++) {
		if (islower((unsigned char)s[i]) || s[i] == '-')
			return 0;
		letter |= isupper((unsigned char)s[i]);
	}
	return letter;
}

/*
 * A usage fragment such as "[--append STR | --reuse-cmdline]" in roff:
 * options bold, placeholders italic, brackets and bars as they are.
 */
static void khu_roff_usage(const char *s)
{
	if (*s == '.' || *s == '\'')
		fputs("\\&", stdout);
	while (*s) {
		size_t n = 0;

		while (s[n] && khu_is_word(s[n]))
			n++;
		if (!n) {
			khu_roff_put(s, 1);
			s++;
			continue;
		}
		if (*s == '-' || khu_is_placeholder(s, n)) {
			fputs(*s == '-' ? "\\fB" : "\\fI", stdout);
			khu_roff_put(s, n);
			fputs("\\fR", stdout);
		} else {
			khu_roff_put(s, n);
		}
		s += n;
	}
	/* A line that ends in '.' would end a sentence: two spaces. */
	if (s[-1] == '.')
		fputs("\\&", stdout);
}

static void khu_gen_synopsis(void)
{
	const char *sep = "[";
	size_t c, i;

	/* "[--help | --version]": the options before COMMAND. */
	puts(".SY keyhandover");
	for (i = 0; i < ARRAY_SIZE(khu_gen_opts); i++) {
		if (!(khu_gen_opts[i].cmds & KHU_CMD_GLOBAL) ||
		    !khu_gen_opts[i].name)
			continue;
		printf("%s\\fB\\-\\-", sep);
		khu_roff_put(khu_gen_word(khu_gen_opts[i].name),
			     strlen(khu_gen_opts[i].name));
		fputs("\\fR", stdout);
		sep = " | ";
	}
	puts(*sep == ' ' ? "]" : "");
	puts(".YS");
	puts(".SY keyhandover");
	puts("\\fICOMMAND\\fR \\fB\\-\\-help\\fR");
	puts(".YS");
	for (c = 0; c < ARRAY_SIZE(khu_gen_cmds); c++) {
		puts(".SY keyhandover");
		printf("\\fB%s\\fR\n", khu_gen_word(khu_gen_cmds[c].name));
		for (i = 0; i < ARRAY_SIZE(khu_gen_opts); i++) {
			const struct khu_gen_opt *o = &khu_gen_opts[i];

			if (!(o->cmds & khu_gen_cmds[c].bit) || !o->synopsis)
				continue;
			khu_roff_usage(o->synopsis);
			putchar('\n');
		}
		puts(".YS");
	}
}

/* The template: read whole, so that prose blocks are known up front. */
struct khu_tmpl {
	char **line;
	size_t n;
	int *used;			/* per line: a block consumed */
};

static void khu_tmpl_read(struct khu_tmpl *t)
{
	char *buf = NULL;
	size_t cap = 0, room = 0;
	ssize_t len;

	memset(t, 0, sizeof(*t));
	while ((len = getline(&buf, &cap, stdin)) != -1) {
		if (len && buf[len - 1] == '\n')
			buf[len - 1] = '\0';
		if (t->n == room) {
			room = room ? 2 * room : 256;
			t->line = realloc(t->line, room * sizeof(*t->line));
			if (!t->line)
				khu_gen_die("out of memory");
		}
		t->line[t->n] = strdup(buf);
		if (!t->line[t->n++])
			khu_gen_die("out of memory");
	}
	free(buf);
	t->used = calloc(t->n + 1, sizeof(*t->used));
	if (!t->used)
		khu_gen_die("out of memory");
}

static void khu_tmpl_free(struct khu_tmpl *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		free(t->line[i]);
	free(t->line);
	free(t->used);
}

/* The index of the line "@COMMAND @name", or t->n: none. */
static size_t khu_tmpl_block(const struct khu_tmpl *t, const char *name)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strncmp(t->line[i], "@COMMAND ", 9) &&
		    !strcmp(t->line[i] + 9, name))
			return i;
	return t->n;
}

/* Every prose block is a command's, its only one, and ends. */
static void khu_tmpl_check(const struct khu_tmpl *t)
{
	size_t c, i, j;

	for (i = 0; i < t->n; i++) {
		if (strncmp(t->line[i], "@COMMAND ", 9))
			continue;
		for (c = 0; c < ARRAY_SIZE(khu_gen_cmds); c++)
			if (!strcmp(t->line[i] + 9, khu_gen_cmds[c].name))
				break;
		if (c == ARRAY_SIZE(khu_gen_cmds)) {
			fprintf(stderr, "gen_man: %s: no such command\n",
				t->line[i]);
			exit(1);
		}
		if (khu_tmpl_block(t, t->line[i] + 9) != i)
			khu_gen_die("two @COMMAND blocks for one command");
		for (j = i + 1; j < t->n && strcmp(t->line[j], "@END"); j++)
			if (t->line[j][0] == '@')
				khu_gen_die("an @COMMAND block without @END");
		if (j == t->n)
			khu_gen_die("an @COMMAND block without @END");
	}
}

static void khu_gen_commands(struct khu_tmpl *t)
{
	size_t c;

	for (c = 0; c < ARRAY_SIZE(khu_gen_cmds); c++) {
		const struct khu_gen_cmd *cmd = &khu_gen_cmds[c];
		size_t i;

		printf(".SS %s\n", khu_gen_word(cmd->name));
		khu_roff_sentence(cmd->help);
		i = khu_tmpl_block(t, cmd->name);
		if (i == t->n)
			continue;
		t->used[i] = 1;
		for (i++; strcmp(t->line[i], "@END"); i++)
			puts(t->line[i]);
	}
}

/* Which commands take an option: "Commands: stash, reboot." */
static void khu_gen_taken_by(unsigned int cmds)
{
	unsigned int all = 0;
	const char *sep = "";
	size_t c;

	for (c = 0; c < ARRAY_SIZE(khu_gen_cmds); c++)
		all |= khu_gen_cmds[c].bit;
	puts(".br");
	if (cmds & KHU_CMD_GLOBAL) {
		fputs("Before \\fICOMMAND\\fR", stdout);
		if ((cmds & all) == all)
			fputs(", and with every command", stdout);
		else if (cmds & all)
			fputs("; and with", stdout);
		sep = " ";
	} else if ((cmds & all) == all) {
		fputs("With every command", stdout);
	} else {
		fputs("Commands:", stdout);
		sep = " ";
	}
	for (c = 0; (cmds & all) != all && c < ARRAY_SIZE(khu_gen_cmds); c++) {
		if (!(cmds & khu_gen_cmds[c].bit))
			continue;
		printf("%s\\fB%s\\fR", sep, khu_gen_cmds[c].name);
		sep = ", ";
	}
	puts(".");
}

/* Every option (@operands 0) or every operand (1), in the table's order. */
static void khu_gen_options(int operands)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khu_gen_opts); i++) {
		const struct khu_gen_opt *o = &khu_gen_opts[i];

		if ((o->name == NULL) != operands)
			continue;
		puts(".TP");
		if (operands) {
			printf("\\fI%s\\fR", khu_gen_word(o->arg));
		} else {
			if (o->short_name)
				printf("\\fB\\-%c\\fR, ", o->short_name);
			fputs("\\fB\\-\\-", stdout);
			khu_roff_put(khu_gen_word(o->name), strlen(o->name));
			fputs("\\fR", stdout);
			if (o->arg)
				printf(" \\fI%s\\fR", khu_gen_word(o->arg));
		}
		putchar('\n');
		khu_roff_sentence(o->help);
		khu_gen_taken_by(o->cmds);
	}
}

/* A template line with @VERSION@ and @DATE@ filled in. */
static void khu_gen_subst(const char *s, const char *date)
{
	while (*s) {
		if (!strncmp(s, "@VERSION@", 9)) {
			fputs(KHU_VERSION, stdout);
			s += 9;
		} else if (!strncmp(s, "@DATE@", 6)) {
			fputs(date, stdout);
			s += 6;
		} else {
			putchar(*s++);
		}
	}
	putchar('\n');
}

static void khu_gen_page(const char *date)
{
	struct khu_tmpl t;
	size_t i;

	khu_tmpl_read(&t);
	khu_tmpl_check(&t);
	for (i = 0; i < t.n; i++) {
		const char *l = t.line[i];

		if (!strncmp(l, "@COMMAND ", 9)) {
			while (strcmp(t.line[i], "@END"))
				i++;
		} else if (!strcmp(l, "@SYNOPSIS@")) {
			khu_gen_synopsis();
		} else if (!strcmp(l, "@COMMANDS@")) {
			khu_gen_commands(&t);
		} else if (!strcmp(l, "@OPTIONS@")) {
			khu_gen_options(0);
		} else if (!strcmp(l, "@OPERANDS@")) {
			khu_gen_options(1);
		} else if (*l == '@') {
			fprintf(stderr, "gen_man: %s: an unknown marker\n", l);
			exit(1);
		} else {
			khu_gen_subst(l, date);
		}
	}
	for (i = 0; i < t.n; i++)
		if (!strncmp(t.line[i], "@COMMAND ", 9) && !t.used[i])
			khu_gen_die("@COMMAND blocks but no @COMMANDS@ to put them in");
	khu_tmpl_free(&t);
}

static const char *khu_gen_reply(const char *placeholder)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khu_gen_args); i++)
		if (!strcmp(khu_gen_args[i].placeholder, placeholder))
			return khu_gen_args[i].reply;
	return NULL;
}

/* The words of every option command @bit (a KHU_CMD_*) takes. */
static void khu_gen_option_words(unsigned int bit)
{
	const char *sep = "";
	size_t i;

	for (i = 0; i < ARRAY_SIZE(khu_gen_opts); i++) {
		const struct khu_gen_opt *o = &khu_gen_opts[i];

		if (!o->name || !(o->cmds & bit))
			continue;
		printf("%s--%s", sep, khu_gen_word(o->name));
		sep = " ";
		if (o->short_name && isalnum(o->short_name))
			printf(" -%c", o->short_name);
	}
}

/* The case patterns of the options whose argument is @placeholder. */
static int khu_gen_arg_case(const char *placeholder)
{
	const char *sep = "";
	size_t i;
	int any = 0;

	for (i = 0; i < ARRAY_SIZE(khu_gen_opts); i++) {
		const struct khu_gen_opt *o = &khu_gen_opts[i];

		if (!o->name || !o->arg || strcmp(o->arg, placeholder))
			continue;
		if (!any)
			fputs("\t", stdout);
		printf("%s--%s", sep, o->name);
		if (o->short_name && isalnum(o->short_name))
			printf(" | -%c", o->short_name);
		sep = " | ";
		any = 1;
	}
	return any;
}

/* Is @placeholder the argument of an earlier option than @upto? */
static int khu_gen_arg_seen(const char *placeholder, size_t upto)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (khu_gen_opts[i].name && khu_gen_opts[i].arg &&
		    !strcmp(khu_gen_opts[i].arg, placeholder))
			return 1;
	return 0;
}

static const char khu_completion_head[] =
	"# shellcheck shell=bash\n"
	"# bash completion for keyhandover(8).\n"
	"#\n"
	"# Generated by userspace/gen_man from userspace/cli_commands.h and\n"
	"# userspace/cli_options.h, the tables keyhandover's parser and --help\n"
	"# are made from: do not edit, edit those.\n"
	"\n"
	"_keyhandover_files()\n"
	"{\n"
	"\tcompopt -o filenames 2>/dev/null\n"
	"\tmapfile -t COMPREPLY < <(compgen -f -- \"$cur\")\n"
	"}\n"
	"\n"
	"_keyhandover_dirs()\n"
	"{\n"
	"\tcompopt -o filenames 2>/dev/null\n"
	"\tmapfile -t COMPREPLY < <(compgen -d -- \"$cur\")\n"
	"}\n"
	"\n"
	"# A LUKS device or image: the block devices, and files.\n"
	"_keyhandover_devices()\n"
	"{\n"
	"\tlocal d devs=()\n"
	"\n"
	"\tfor d in /sys/class/block/*; do\n"
	"\t\t[ -e \"$d\" ] && devs+=(\"/dev/${d##*/}\")\n"
	"\tdone\n"
	"\tcompopt -o filenames 2>/dev/null\n"
	"\tmapfile -t COMPREPLY < <(compgen -W \"${devs[*]}\" -- \"$cur\"\n"
	"\t\tcompgen -f -- \"$cur\")\n"
	"}\n"
	"\n"
	"# A mapping name: crypttab's names and the mappings open now.\n"
	"_keyhandover_names()\n"
	"{\n"
	"\tlocal name rest names=()\n"
	"\n"
	"\tif [ -r /etc/crypttab ]; then\n"
	"\t\twhile read -r name rest; do\n"
	"\t\t\tcase $name in '' | '#'*) continue ;; esac\n"
	"\t\t\tnames+=(\"$name\")\n"
	"\t\tdone </etc/crypttab\n"
	"\tfi\n"
	"\tfor name in /dev/mapper/*; do\n"
	"\t\tname=${name##*/}\n"
	"\t\t[ \"$name\" = control ] || [ \"$name\" = '*' ] || names+=(\"$name\")\n"
	"\tdone\n"
	"\tmapfile -t COMPREPLY < <(compgen -W \"${names[*]}\" -- \"$cur\")\n"
	"}\n"
	"\n"
	"# COMP_WORDS has '@u' as two words, '@' and 'u'; readline completes it\n"
	"# whole ('@' is one of its special prefixes).\n"
	"_keyhandover_keyrings()\n"
	"{\n"
	"\tlocal word=$cur\n"
	"\n"
	"\t[ \"${COMP_WORDS[COMP_CWORD - 1]}\" = @ ] && word=@$cur\n"
	"\tmapfile -t COMPREPLY < <(compgen -W '@u @us @s @p @t' -- \"$word\")\n"
	"}\n"
	"\n"
	"_keyhandover()\n"
	"{\n"
	"\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' opts='' operand='' i\n"
	"\n"
	"\tCOMPREPLY=()\n"
	"\t((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}\n"
	"\t# --option=VALUE: bash makes '=' a word of its own.\n"
	"\tif [ \"$cur\" = = ]; then\n"
	"\t\tcur=''\n"
	"\telif [ \"$prev\" = = ] && ((COMP_CWORD > 1)); then\n"
	"\t\tprev=${COMP_WORDS[COMP_CWORD - 2]}\n"
	"\tfi\n"
	"\t# Before COMMAND only options without an argument.\n"
	"\tfor ((i = 1; i < COMP_CWORD; i++)); do\n"
	"\t\tcase ${COMP_WORDS[i]} in\n"
	"\t\t-*) ;;\n"
	"\t\t*) cmd=${COMP_WORDS[i]} && break ;;\n"
	"\t\tesac\n"
	"\tdone\n";

static void khu_gen_completion(void)
{
	size_t c, i;

	fputs(khu_completion_head, stdout);

	puts("\tif [ -z \"$cmd\" ]; then");
	fputs("\t\tcase $cur in\n\t\t-*) opts='", stdout);
	khu_gen_option_words(KHU_CMD_GLOBAL);
	puts("' ;;");
	fputs("\t\t*) opts='", stdout);
	for (c = 0; c < ARRAY_SIZE(khu_gen_cmds); c++)
		printf("%s%s", c ? " " : "", khu_gen_word(khu_gen_cmds[c].name));
	puts("' ;;\n\t\tesac");
	puts("\t\tmapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")");
	puts("\t\treturn 0");
	puts("\tfi");

	puts("\t# An option's argument, by its placeholder.");
	puts("\tcase $prev in");
	for (i = 0; i < ARRAY_SIZE(khu_gen_opts); i++) {
		const char *arg = khu_gen_opts[i].arg, *reply;

		if (!khu_gen_opts[i].name || !arg || khu_gen_arg_seen(arg, i))
			continue;
		khu_gen_arg_case(arg);
		reply = khu_gen_reply(arg);
		printf(")\n\t\t%s%sreturn 0\n\t\t;;\n",
		       reply ? reply : "", reply ? "\n\t\t" : "");
	}
	puts("\tesac");

	puts("\tcase $cmd in");
	for (c = 0; c < ARRAY_SIZE(khu_gen_cmds); c++) {
		const struct khu_gen_cmd *cmd = &khu_gen_cmds[c];
		const char *reply = NULL;

		printf("\t%s)\n\t\topts='", cmd->name);
		khu_gen_option_words(cmd->bit);
		puts("'");
		for (i = 0; i < ARRAY_SIZE(khu_gen_opts) && !reply; i++)
			if (!khu_gen_opts[i].name &&
			    (khu_gen_opts[i].cmds & cmd->bit))
				reply = khu_gen_reply(khu_gen_opts[i].arg);
		if (reply)
			printf("\t\toperand=%s\n", reply);
		puts("\t\t;;");
	}
	puts("\t*)\n\t\treturn 0\n\t\t;;\n\tesac");

	puts("\tif [ -n \"$operand\" ] && [[ $cur != -* ]]; then");
	puts("\t\t\"$operand\"");
	puts("\telse");
	puts("\t\tmapfile -t COMPREPLY < <(compgen -W \"$opts\" -- \"$cur\")");
	puts("\tfi");
	puts("\treturn 0");
	puts("}");
	puts("");
	puts("complete -F _keyhandover keyhandover");
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "page"))
		khu_gen_page(argv[2]);
	else if (argc == 2 && !strcmp(argv[1], "completion"))
		khu_gen_completion();
	else
		khu_gen_die("usage: gen_man page DATE <TEMPLATE | gen_man completion");
	if (fflush(stdout) || ferror(stdout))
		khu_gen_die("cannot write output");
	return 0;
}
