/*
 * board_layout.c: prints where the scoreboard's fields are, for
 * test_compromised.py, which writes into a live worker's board as a
 * compromised worker would.  Built by that test against board.h, so
 * a change of the board's layout cannot leave the test writing elsewhere.
 */
#include <stddef.h>
#include <stdio.h>

#include "board.h"

int
main(void)
{
	printf("{\"board_size\": %zu, \"slots\": %zu, \"slot_size\": %zu, "
	    "\"nslots\": %d, \"s_pid\": %zu, \"s_state\": %zu, "
	    "\"b_hiwater\": %zu, \"b_generation\": %zu, \"idle\": %d}\n",
	    sizeof(struct board), offsetof(struct board, b_slots),
	    sizeof(struct slot), ARGO_HARD_MAX_CLIENTS + 1,
	    offsetof(struct slot, s_pid), offsetof(struct slot, s_state),
	    offsetof(struct board, b_hiwater),
	    offsetof(struct board, b_generation), SLOT_IDLE);
	return (0);
}
