/* What a program in a container sends when it is ready, through the
 * socket in $NOTIFY_SOCKET (sd_notify(3) without libsystemd): built static
 * by the tests so that it runs in a busybox root file system. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

int main(int argc, char **argv) {
    const char *path = getenv("NOTIFY_SOCKET");
    if (!path || argc < 2) {
        fprintf(stderr, "usage: NOTIFY_SOCKET=PATH sd-ready MESSAGE\n");
        return 2;
    }
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    strncpy(addr.sun_path, path, sizeof addr.sun_path - 1);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    if (fd < 0 || sendto(fd, argv[1], strlen(argv[1]), 0, (struct sockaddr *)&addr, sizeof addr) < 0) {
        perror("sd-ready");
        return 1;
    }
    return 0;
}
