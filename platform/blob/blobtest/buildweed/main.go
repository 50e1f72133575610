// Command buildweed builds (once, into the user cache) the SeaweedFS server
// the S3 storage tests run against, and prints its path: `make weed`.
package main

import (
	"fmt"
	"os"

	"github.com/chuishao/whistle/platform/blob/blobtest"
)

func main() {
	bin, err := blobtest.EnsureWeed()
	if err != nil {
		fmt.Fprintln(os.Stderr, "buildweed:", err)
		os.Exit(1)
	}
	fmt.Println(bin)
}
