/* A bare PTY echo for scripts/bench-e2e.sh: prints the slave path, then writes back whatever the
   host writes, with nothing in between (the floor for a round trip over a pseudo-terminal). */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <termios.h>
#include <unistd.h>

int main(void) {
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) != 0 || unlockpt(master) != 0) { perror("pty"); return 1; }
    const char *path = ptsname(master);
    int slave = open(path, O_RDWR | O_NOCTTY); /* kept open: a host that closes does not end us */
    struct termios t;
    tcgetattr(slave, &t);
    cfmakeraw(&t);
    tcsetattr(slave, TCSANOW, &t);
    printf("%s\n", path);
    fflush(stdout);
    char buffer[65536];
    for (;;) {
        ssize_t n = read(master, buffer, sizeof buffer);
        if (n <= 0) return 0;
        for (ssize_t done = 0; done < n;) {
            ssize_t w = write(master, buffer + done, (size_t)(n - done));
            if (w <= 0) return 0;
            done += w;
        }
    }
}
