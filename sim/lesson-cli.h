/* lesson-cli.h — the `hvsim lesson` subcommand (lesson-cli.c). Main thread. */
#ifndef HVSIM_LESSON_CLI_H
#define HVSIM_LESSON_CLI_H

/* argv[0] is "hvsim lesson"; returns the exit status. */
int lesson_cli_main(int argc, char **argv);

#endif
