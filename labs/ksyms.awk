# ksyms.awk - turn `nm -n -S --defined-only kernel.elf` into the C symbol
# table of kernel/include/ksyms.h. Keeps functions and code labels (t, T, w,
# W), in address order. Assembly labels have no size; nm then prints 3 fields.
BEGIN {
    print "/* Generated from the kernel's symbols by labs/ksyms.awk. */"
    print "#include <stddef.h>"
    print "#include \"ksyms.h\""
    print "const struct ksym ksyms_table[] = {"
}
# Section markers from linker.ld (__text_start, ...) are not functions.
$NF ~ /^__[a-z]+_(start|end)$/ { next }
NF == 4 && $3 ~ /^[tTwW]$/ { printf "    {0x%sull, 0x%sull, \"%s\"},\n", $1, $2, $4; n++ }
NF == 3 && $2 ~ /^[tTwW]$/ { printf "    {0x%sull, 0, \"%s\"},\n", $1, $3; n++ }
END {
    print "    {0, 0, NULL},"
    print "};"
    printf "const size_t ksyms_count = %d;\n", n
}
