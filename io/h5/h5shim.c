// Implementation of h5shim.h. Compiled by cgo with the package's CGO_CFLAGS.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <hdf5.h>

#include "h5shim.h"

// Silence the automatic error printing of the calling thread. In a thread-safe
// HDF5 build the setting is per thread, so it is renewed before every operation.
void sr_quiet(void) { H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }

hid_t sr_P_DEFAULT(void) { return H5P_DEFAULT; }
hid_t sr_S_ALL(void) { return H5S_ALL; }

// Error stack of the calling thread: the API-level and the innermost description.
typedef struct { char inner[512]; char outer[512]; unsigned n; } sr_errinfo;

static herr_t sr_walk(unsigned n, const H5E_error2_t *e, void *data) {
	sr_errinfo *info = (sr_errinfo *)data;
	const char *d = (e->desc != NULL) ? e->desc : "";
	if (n == 0) {
		snprintf(info->inner, sizeof info->inner, "%s", d);
	}
	snprintf(info->outer, sizeof info->outer, "%s", d);
	info->n = n + 1;
	return 0;
}

void sr_errmsg(char *buf, size_t len) {
	sr_errinfo info;
	memset(&info, 0, sizeof info);
	H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, sr_walk, &info);
	H5Eclear2(H5E_DEFAULT);
	if (info.n == 0) {
		buf[0] = 0;
	} else if (info.n == 1 || strcmp(info.inner, info.outer) == 0) {
		snprintf(buf, len, "%s", info.inner);
	} else {
		snprintf(buf, len, "%s: %s", info.outer, info.inner);
	}
}

hid_t sr_native(int code) {
	switch (code) {
	case SR_U8: return H5T_NATIVE_UINT8;
	case SR_U16: return H5T_NATIVE_UINT16;
	case SR_U32: return H5T_NATIVE_UINT32;
	case SR_U64: return H5T_NATIVE_UINT64;
	case SR_I8: return H5T_NATIVE_INT8;
	case SR_I16: return H5T_NATIVE_INT16;
	case SR_I32: return H5T_NATIVE_INT32;
	case SR_I64: return H5T_NATIVE_INT64;
	case SR_F32: return H5T_NATIVE_FLOAT;
	case SR_F64: return H5T_NATIVE_DOUBLE;
	}
	return -1;
}

// sr_filetype returns a predefined (not to be closed) standard type.
hid_t sr_filetype(int code, int big) {
	switch (code) {
	case SR_U8: return big ? H5T_STD_U8BE : H5T_STD_U8LE;
	case SR_U16: return big ? H5T_STD_U16BE : H5T_STD_U16LE;
	case SR_U32: return big ? H5T_STD_U32BE : H5T_STD_U32LE;
	case SR_U64: return big ? H5T_STD_U64BE : H5T_STD_U64LE;
	case SR_I8: return big ? H5T_STD_I8BE : H5T_STD_I8LE;
	case SR_I16: return big ? H5T_STD_I16BE : H5T_STD_I16LE;
	case SR_I32: return big ? H5T_STD_I32BE : H5T_STD_I32LE;
	case SR_I64: return big ? H5T_STD_I64BE : H5T_STD_I64LE;
	case SR_F32: return big ? H5T_IEEE_F32BE : H5T_IEEE_F32LE;
	case SR_F64: return big ? H5T_IEEE_F64BE : H5T_IEEE_F64LE;
	}
	return -1;
}

// sr_vlstr returns a new variable-length UTF-8 string type; close it with H5Tclose.
hid_t sr_vlstr(void) {
	hid_t t = H5Tcopy(H5T_C_S1);
	if (t < 0) return t;
	if (H5Tset_size(t, H5T_VARIABLE) < 0 || H5Tset_cset(t, H5T_CSET_UTF8) < 0) {
		H5Tclose(t);
		return -1;
	}
	return t;
}

// sr_lcpl returns a new link creation plist that creates missing intermediate groups.
hid_t sr_lcpl(void) {
	hid_t p = H5Pcreate(H5P_LINK_CREATE);
	if (p < 0) return p;
	if (H5Pset_create_intermediate_group(p, 1) < 0) {
		H5Pclose(p);
		return -1;
	}
	return p;
}

// Dataset listing. Names are appended to a growing buffer, separated by NUL.
typedef struct { char *buf; size_t len, cap; int failed; } sr_names;

static void sr_names_add(sr_names *s, const char *name) {
	size_t n = strlen(name) + 1;
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 4096;
		while (cap < s->len + n) cap *= 2;
		char *b = (char *)realloc(s->buf, cap);
		if (b == NULL) { s->failed = 1; return; }
		s->buf = b;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, name, n);
	s->len += n;
}

#if H5_VERSION_GE(1, 12, 0)
static herr_t sr_visit_cb(hid_t obj, const char *name, const H5O_info2_t *info, void *data) {
#else
static herr_t sr_visit_cb(hid_t obj, const char *name, const H5O_info_t *info, void *data) {
#endif
	(void)obj;
	sr_names *s = (sr_names *)data;
	if (info->type == H5O_TYPE_DATASET) sr_names_add(s, name);
	return s->failed ? -1 : 0;
}

// sr_list_datasets visits every object under the root once and returns the
// relative paths of the datasets; free *out with free.
herr_t sr_list_datasets(hid_t file, char **out, size_t *len) {
	sr_names s;
	memset(&s, 0, sizeof s);
	herr_t err;
#if H5_VERSION_GE(1, 12, 0)
	err = H5Ovisit3(file, H5_INDEX_NAME, H5_ITER_INC, sr_visit_cb, &s, H5O_INFO_BASIC);
#elif H5_VERSION_GE(1, 10, 3)
	err = H5Ovisit2(file, H5_INDEX_NAME, H5_ITER_INC, sr_visit_cb, &s, H5O_INFO_BASIC);
#else
	err = H5Ovisit1(file, H5_INDEX_NAME, H5_ITER_INC, sr_visit_cb, &s);
#endif
	*out = s.buf;
	*len = s.len;
	return err;
}

herr_t sr_vlen_reclaim(hid_t type, hid_t space, void *buf) {
#if H5_VERSION_GE(1, 12, 0)
	return H5Treclaim(type, space, H5P_DEFAULT, buf);
#else
	return H5Dvlen_reclaim(type, space, H5P_DEFAULT, buf);
#endif
}

// Conversion loops after a native read. gcc vectorizes these at -O2.
#define SR_CONV(NAME, S, D) \
	static void NAME(const S *restrict src, D *restrict dst, size_t n) { \
		for (size_t i = 0; i < n; i++) dst[i] = (D)src[i]; \
	}
SR_CONV(sr_u8_f32, uint8_t, float)
SR_CONV(sr_u16_f32, uint16_t, float)
SR_CONV(sr_u32_f32, uint32_t, float)
SR_CONV(sr_u64_f32, uint64_t, float)
SR_CONV(sr_i8_f32, int8_t, float)
SR_CONV(sr_i16_f32, int16_t, float)
SR_CONV(sr_i32_f32, int32_t, float)
SR_CONV(sr_i64_f32, int64_t, float)
SR_CONV(sr_f64_f32, double, float)
SR_CONV(sr_u8_f64, uint8_t, double)
SR_CONV(sr_u16_f64, uint16_t, double)
SR_CONV(sr_u32_f64, uint32_t, double)
SR_CONV(sr_u64_f64, uint64_t, double)
SR_CONV(sr_i8_f64, int8_t, double)
SR_CONV(sr_i16_f64, int16_t, double)
SR_CONV(sr_i32_f64, int32_t, double)
SR_CONV(sr_i64_f64, int64_t, double)
SR_CONV(sr_f32_f64, float, double)

void sr_to_f32(int code, const void *src, float *dst, size_t n) {
	switch (code) {
	case SR_U8: sr_u8_f32(src, dst, n); break;
	case SR_U16: sr_u16_f32(src, dst, n); break;
	case SR_U32: sr_u32_f32(src, dst, n); break;
	case SR_U64: sr_u64_f32(src, dst, n); break;
	case SR_I8: sr_i8_f32(src, dst, n); break;
	case SR_I16: sr_i16_f32(src, dst, n); break;
	case SR_I32: sr_i32_f32(src, dst, n); break;
	case SR_I64: sr_i64_f32(src, dst, n); break;
	case SR_F32: memcpy(dst, src, n * sizeof(float)); break;
	case SR_F64: sr_f64_f32(src, dst, n); break;
	}
}

void sr_to_f64(int code, const void *src, double *dst, size_t n) {
	switch (code) {
	case SR_U8: sr_u8_f64(src, dst, n); break;
	case SR_U16: sr_u16_f64(src, dst, n); break;
	case SR_U32: sr_u32_f64(src, dst, n); break;
	case SR_U64: sr_u64_f64(src, dst, n); break;
	case SR_I8: sr_i8_f64(src, dst, n); break;
	case SR_I16: sr_i16_f64(src, dst, n); break;
	case SR_I32: sr_i32_f64(src, dst, n); break;
	case SR_I64: sr_i64_f64(src, dst, n); break;
	case SR_F32: sr_f32_f64(src, dst, n); break;
	case SR_F64: memcpy(dst, src, n * sizeof(double)); break;
	}
}
