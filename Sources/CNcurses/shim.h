#ifndef CNCURSES_SHIM_H
#define CNCURSES_SHIM_H

// Wide-character API before curses.h (ncursesw handles UTF-8 through mvaddstr).
#ifndef NCURSES_WIDECHAR
#define NCURSES_WIDECHAR 1
#endif
#include <ncursesw/curses.h>
#include <locale.h>
#include <stdio.h>
#include <langinfo.h>

// What Swift 6 cannot import or use safely (macros, C globals): re-exported as functions.
// newterm instead of initscr: it returns NULL (no exit(1)) when TERM is unusable.
static inline SCREEN *cn_newterm_stdio(void) { return newterm(NULL, stdout, stdin); }
static inline WINDOW *cn_stdscr(void) { return stdscr; }
static inline int cn_getmaxy(WINDOW *w) { return getmaxy(w); }
static inline int cn_getmaxx(WINDOW *w) { return getmaxx(w); }
static inline int cn_a_bold(void) { return (int)A_BOLD; }
static inline int cn_a_reverse(void) { return (int)A_REVERSE; }
static inline int cn_a_dim(void) { return (int)A_DIM; }
static inline int cn_a_underline(void) { return (int)A_UNDERLINE; }
static inline int cn_color_pair(int n) { return (int)COLOR_PAIR(n); }
static inline int cn_key_up(void) { return KEY_UP; }
static inline int cn_key_down(void) { return KEY_DOWN; }
static inline int cn_key_left(void) { return KEY_LEFT; }
static inline int cn_key_right(void) { return KEY_RIGHT; }
static inline int cn_key_npage(void) { return KEY_NPAGE; }
static inline int cn_key_ppage(void) { return KEY_PPAGE; }
static inline int cn_key_home(void) { return KEY_HOME; }
static inline int cn_key_end(void) { return KEY_END; }
static inline int cn_key_resize(void) { return KEY_RESIZE; }
static inline int cn_key_backspace(void) { return KEY_BACKSPACE; }
static inline int cn_key_enter(void) { return KEY_ENTER; }
static inline int cn_codeset_is_utf8(void) {
  const char *cs = nl_langinfo(CODESET);
  return cs && (cs[0] == 'U' || cs[0] == 'u') && (cs[1] == 'T' || cs[1] == 't') && (cs[2] == 'F' || cs[2] == 'f');
}

#endif
