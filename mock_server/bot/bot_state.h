/* bot_state: the bot's state file, the last sequence number it assigned.
 *
 * A bot killed with messages still unacked must not reuse their numbers when
 * it comes back (a subscriber's ledger would take the new messages for the
 * lost ones). With --state-file the bot writes its highest assigned number
 * into the file each time it grows (bot_queue_on_number: under the queue's
 * lock, before the message can be sent), as one fixed-width pwrite: no fsync,
 * so a killed process loses nothing (the kernel's page cache has it) while a
 * machine crash may lose the last writes. At start the bot reads it back and
 * numbers after max(it, the dashboard's last_seq) (bot_queue_set_floor). */
#ifndef WSB_BOT_STATE_H
#define WSB_BOT_STATE_H

#include <stddef.h>
#include <stdint.h>

typedef struct bot_state bot_state;

/* Opens (creates) path; *last gets the number it holds (0 when new or
 * empty). NULL with err when it cannot be opened or holds something else. */
bot_state *bot_state_open(const char *path, int64_t *last, char *err, size_t errlen);
/* Records seq (the signature of bot_queue_on_number's callback). */
void bot_state_save(void *state, int64_t seq);
void bot_state_close(bot_state *s);

#endif
