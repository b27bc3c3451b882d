package h5

// #include "h5shim.h"
import "C"

import (
	"fmt"
	"strings"
)

// dsInfo is what package h5 learns about a dataset without reading its data.
type dsInfo struct {
	path        string
	dims        []int // nil for a null dataspace
	null        bool
	typ         typeInfo
	layout      string // "contiguous", "chunked", "compact", "virtual"
	chunks      []int  // nil unless chunked
	filters     []filterInfo
	compression string
}

type filterInfo struct {
	id    int
	level int // gzip level
	name  string
	avail bool
}

func (f filterInfo) String() string {
	switch f.id {
	case 1:
		return fmt.Sprintf("gzip level %d", f.level)
	case 2:
		return "shuffle"
	case 3:
		return "fletcher32"
	case 4:
		return "szip"
	case 5:
		return "nbit"
	case 6:
		return "scaleoffset"
	}
	if n, ok := knownFilters[f.id]; ok {
		return fmt.Sprintf("filter %d (%s)", f.id, n)
	}
	return fmt.Sprintf("filter %d", f.id)
}

// knownFilters names the registered third-party filters met in 4D-STEM files.
var knownFilters = map[int]string{
	307:   "bzip2",
	32000: "lzf",
	32001: "blosc",
	32004: "lz4",
	32008: "bitshuffle",
	32013: "zfp",
	32015: "zstd",
	32017: "sz",
	32026: "blosc2",
}

// objectKind reports whether path names a dataset ("dataset"), another object
// (its kind), or nothing (""). An intermediate component that is missing or is
// not a group also gives "".
func objectKind(file hid, path string) (string, error) {
	if path == "/" {
		return "group", nil
	}
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := range parts {
		prefix := "/" + strings.Join(parts[:i+1], "/")
		cp := cstr(prefix)
		ex := C.H5Lexists(file, cp, pDefault)
		cfree(cp)
		if ex <= 0 {
			C.H5Eclear2(C.H5E_DEFAULT)
			return "", nil
		}
	}
	cp := cstr(path)
	defer cfree(cp)
	o := C.H5Oopen(file, cp, pDefault)
	if o < 0 {
		return "", stackErr()
	}
	defer C.H5Oclose(o)
	switch C.H5Iget_type(o) {
	case C.H5I_DATASET:
		return "dataset", nil
	case C.H5I_GROUP:
		return "group", nil
	case C.H5I_DATATYPE:
		return "named datatype", nil
	}
	return "object", nil
}

// inspect opens the dataset at path and describes it.
func inspect(file hid, path string) (dsInfo, error) {
	info := dsInfo{path: path}
	cp := cstr(path)
	d := C.H5Dopen2(file, cp, pDefault)
	cfree(cp)
	if d < 0 {
		return info, stackErr()
	}
	defer C.H5Dclose(d)

	space := C.H5Dget_space(d)
	if space < 0 {
		return info, stackErr()
	}
	dims, ok, err := spaceDims(space)
	C.H5Sclose(space)
	if err != nil {
		return info, err
	}
	info.dims, info.null = dims, !ok

	t := C.H5Dget_type(d)
	if t < 0 {
		return info, stackErr()
	}
	info.typ, err = describeType(t)
	C.H5Tclose(t)
	if err != nil {
		return info, err
	}

	dcpl := C.H5Dget_create_plist(d)
	if dcpl < 0 {
		return info, stackErr()
	}
	defer C.H5Pclose(dcpl)
	switch C.H5Pget_layout(dcpl) {
	case C.H5D_CONTIGUOUS:
		info.layout = "contiguous"
	case C.H5D_COMPACT:
		info.layout = "compact"
	case C.H5D_VIRTUAL:
		info.layout = "virtual"
	case C.H5D_CHUNKED:
		info.layout = "chunked"
		rank := len(info.dims)
		if rank > 0 {
			h := make([]C.hsize_t, rank)
			if n := C.H5Pget_chunk(dcpl, C.int(rank), &h[0]); n < 0 {
				return info, stackErr()
			}
			info.chunks = make([]int, rank)
			for i, x := range h {
				info.chunks[i] = int(x)
			}
		}
	default:
		return info, stackErr()
	}
	nf := int(C.H5Pget_nfilters(dcpl))
	if nf < 0 {
		return info, stackErr()
	}
	var names []string
	for i := 0; i < nf; i++ {
		var flags C.uint
		var cd [8]C.uint
		ncd := C.size_t(len(cd))
		var name [256]C.char
		var config C.uint
		fid := C.H5Pget_filter2(dcpl, C.uint(i), &flags, &ncd, &cd[0], C.size_t(len(name)), &name[0], &config)
		if fid < 0 {
			return info, stackErr()
		}
		f := filterInfo{id: int(fid), name: C.GoString(&name[0])}
		if f.id == 1 && ncd > 0 {
			f.level = int(cd[0])
		}
		f.avail = C.H5Zfilter_avail(fid) > 0
		C.H5Eclear2(C.H5E_DEFAULT)
		info.filters = append(info.filters, f)
		names = append(names, f.String())
	}
	info.compression = strings.Join(names, ", ")
	return info, nil
}

// layoutErr returns why info cannot be read as frames, or nil. file names the
// file in the message.
func layoutErr(file string, info dsInfo) error {
	prefix := fmt.Sprintf("h5: dataset %q in %q", info.path, file)
	if !info.typ.ok {
		return fmt.Errorf("%s has dtype %s; want one of %s", prefix, info.typ.desc, dtypeNames())
	}
	if info.null {
		return fmt.Errorf("%s is empty: it has a null dataspace", prefix)
	}
	const want = "want (frames, detY, detX) or (scanY, scanX, detY, detX), with any further leading axes of length 1"
	if len(info.dims) < 3 {
		return fmt.Errorf("%s has %d dimensions %s; %s", prefix, len(info.dims), shapeString(info.dims), want)
	}
	for _, d := range info.dims {
		if d == 0 {
			return fmt.Errorf("%s is empty: shape %s", prefix, shapeString(info.dims))
		}
	}
	if len(navAxes(info.dims)) > 2 {
		return fmt.Errorf("%s has %d dimensions %s with more than two scan axes longer than 1; %s",
			prefix, len(info.dims), shapeString(info.dims), want)
	}
	for _, f := range info.filters {
		if !f.avail {
			return fmt.Errorf("%s is stored with %s, which this HDF5 library cannot decode; "+
				"set HDF5_PLUGIN_PATH to a directory holding the filter plugin", prefix, f)
		}
	}
	return nil
}

// navAxes returns the on-disk axes that make up the scan (nav) shape: axis 0 for
// rank 3, axes 0 and 1 for rank 4, and for higher ranks the leading axes longer
// than 1 (or the last leading axis when all have length 1). Rank < 3 gives nil.
func navAxes(dims []int) []int {
	r := len(dims)
	switch {
	case r < 3:
		return nil
	case r == 3:
		return []int{0}
	case r == 4:
		return []int{0, 1}
	}
	var ax []int
	for i := 0; i < r-2; i++ {
		if dims[i] != 1 {
			ax = append(ax, i)
		}
	}
	if len(ax) == 0 {
		ax = []int{r - 3}
	}
	return ax
}

// candidate reports whether a dataset is one Open may pick by itself: numeric,
// readable as frames, with 3 or 4 axes longer than 1.
func candidate(file string, info dsInfo) bool {
	if layoutErr(file, info) != nil {
		return false
	}
	n := 0
	for _, d := range info.dims {
		if d != 1 {
			n++
		}
	}
	return n == 3 || n == 4
}
