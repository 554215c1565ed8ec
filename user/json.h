/* SPDX-License-Identifier: GPL-2.0 */
/* A small streaming JSON writer for `-j` output: one document per
 * command, snake_case keys, commas and nesting handled here. */
#ifndef LB_JSON_H
#define LB_JSON_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *f;
	int depth;
	bool first[32];		/* no member written yet at this depth */
};

void json_init(struct json *j, FILE *f);
/* key is NULL inside arrays and for the top-level value. */
void json_obj_open(struct json *j, const char *key);
void json_obj_close(struct json *j);
void json_arr_open(struct json *j, const char *key);
void json_arr_close(struct json *j);
void json_str(struct json *j, const char *key, const char *val);
void json_u64(struct json *j, const char *key, uint64_t val);
void json_i64(struct json *j, const char *key, int64_t val);
void json_bool(struct json *j, const char *key, bool val);
void json_null(struct json *j, const char *key);
/* Ends the document with a newline; close what was opened first. */
void json_end(struct json *j);

#endif
