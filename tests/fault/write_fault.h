/* Fault injection for tests (write_fault.c): write(2)/pwrite(2) on files whose path contains
 * `path_part` fail with `error_number` after `successful_writes` more successful ones. */
#pragma once
#ifdef __cplusplus
extern "C" {
#endif
void hopcap_fault_arm(const char* path_part, long successful_writes, int error_number);
void hopcap_fault_disarm(void);
#ifdef __cplusplus
}
#endif
