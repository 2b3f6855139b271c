/* hello-p1: a plain WASI preview 1 program, as clang and wasi-libc build
 * one: greets the name on its stdin with its arguments and a random number
 * (from WASI random, which enact journals). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char name[64] = {0};
    size_t n = fread(name, 1, sizeof name - 1, stdin);
    name[n] = 0;
    unsigned lucky = 0;
    getentropy(&lucky, sizeof lucky);
    printf("hello, %s! %d args (first: %s), lucky %u\n", name, argc - 1, argc > 1 ? argv[1] : "none", lucky % 100);
    return 0;
}
