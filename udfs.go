package main

// The UDF packages linked into stemreduce: each registers its UDFs in an init function,
// and `stemreduce udf --run NAME` runs them. Add yours here (docs/udf.md).
import (
	_ "github.com/stemreduce/stemreduce/examples/brightest"
)
