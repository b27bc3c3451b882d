// Package picture draws the results of a stemreduce result file as PNG pictures for a
// microscopist to look at: detector images, scan maps, grids of components, the scree
// plot and the UMAP embedding. It is pure Go (gonum.org/v1/plot, no cgo) and reads the
// file through the small File interface, which the cli package implements over io/h5.
//
// # Pictures
//
// Plan decides the figures from the dataset shapes alone, without reading data; Write
// renders them and writes them into a directory. A file is recognised as a result by its
// root attribute program = "stemreduce"; input_nav_shape and input_sig_shape (the scan
// and detector shapes) decide which other datasets are images. Groups and files, in the
// order they are written:
//
//	dataset (shape)                              file                      shows
//	/stats/mean, std, max (dy, dx)               stats_<name>.png          detector image, log10 when it spans decades
//	/stats/frame_sum (sy, sx)                    stats_frame_sum.png       scan map
//	/virtual/<name> (sy, sx)                     virtual_<name>.png        scan map
//	/com/field_y, field_x, divergence, curl      com_<name>.png            scan map, diverging colours
//	/com/magnitude (sy, sx)                      com_magnitude.png         scan map
//	/com/field_y + field_x                       com_field.png             colour wheel: hue = direction, brightness = |F|
//	/pca/explained_variance_ratio (k)            pca_scree.png             scree plot, log y
//	/pca/components (k, dy, dx)                  pca_factors.png           grid of the first 16, diverging
//	/pca/scores (sy, sx, k)                      pca_loadings.png          grid of the first 16, diverging
//	/ica/factors (k, dy, dx)                     ica_factors.png           grid, diverging
//	/ica/sources (sy, sx, k)                     ica_sources.png           grid, diverging
//	/umap/embedding (sy, sx, 2)                  umap_embedding.png        scatter coloured by scan position
//	                                                                       (or by /umap/labels, /kmeans/labels) + key
//	                                             umap_scan_colours.png     scan coloured by embedding position + key
//	any other dataset of shape (sy, sx), (dy, dx)  <group>_<name>.png      one image
//	  or (sy, sx, k), (k, dy, dx)                                          grid of the first 16
//
// Left out on purpose: /stats/sum, var, var_sample, min and m2 (they repeat mean, std
// and max), /com/y and /com/x (field_y and field_x shifted by the centre), the PCA and
// ICA vectors and k×k matrices, and /umap/knn_*. A scan stored as a list of frames, nav
// (n), gives curves over the frame index instead of maps, and a strip for the UMAP scan
// colours. docs/pictures.md is the user's version of this table.
//
// # Conventions
//
// Sequential quantities use viridis; signed ones (PCA and ICA components and maps, COM
// shifts, divergence, curl, and any array whose robust range holds both signs) use
// Moreland's smooth blue-red diverging map, symmetric around zero. The colour range is
// robust: the 1st to 99th percentile of the finite values (±the 99th percentile of |v|
// when signed); values beyond it take the end colours. NaN (scan positions outside a
// region of interest) is a neutral grey, RGB (128, 128, 128). Images have square pixels,
// row 0 at the top, axes numbered in pixels, a colour bar, and a title naming the
// dataset. Text is Liberation Sans, embedded in gonum/plot.
//
// # Sizes
//
// With Options.Size = S (512 by default), the image area of a single picture has S
// pixels on its long side (aspect ratio clamped to [1/4, 4]), plus 160 pixels across
// for the axis and colour bar and 90 down for the title and axis: a square 64×64 map is
// 672×602 pixels. A grid tiles up to 16 panels whose images have S/2 on the long side.
// Figure.Width and Figure.Height give every size before rendering.
//
// # Writing
//
// Write is all or nothing: every picture goes to a temporary file in the directory
// first, and all are renamed into place at the end; on an error, or when its context
// is cancelled (checked between pictures), the temporary files are removed. Errors
// reading the result file are *InputError; errors creating the directory or files are
// returned as they are. Whole datasets are read (a dataset is held in memory only while
// its picture is drawn); a UMAP scatter shows at most Options.MaxPoints points, a
// regular subsample drawn in a fixed pseudo-random order.
package picture
