// Small C helpers for package h5: the HDF5 calls that gonum.org/v1/hdf5 lacks,
// macros that cgo cannot use directly, and the conversion loops.
#ifndef STEMREDUCE_H5SHIM_H
#define STEMREDUCE_H5SHIM_H

#include <stddef.h>
#include <hdf5.h>

// Element type codes shared with Go (dtype.go).
enum { SR_U8, SR_U16, SR_U32, SR_U64, SR_I8, SR_I16, SR_I32, SR_I64, SR_F32, SR_F64 };

void sr_quiet(void);
hid_t sr_P_DEFAULT(void);
hid_t sr_S_ALL(void);
void sr_errmsg(char *buf, size_t len);

hid_t sr_native(int code);
hid_t sr_filetype(int code, int big);
hid_t sr_vlstr(void);
hid_t sr_lcpl(void);

herr_t sr_list_datasets(hid_t file, char **out, size_t *len);
herr_t sr_vlen_reclaim(hid_t type, hid_t space, void *buf);

void sr_to_f32(int code, const void *src, float *dst, size_t n);
void sr_to_f64(int code, const void *src, double *dst, size_t n);

#endif
