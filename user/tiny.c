/* tiny.c - does nothing: for starting many processes. Lab 6 (given). */
int main(void)
{
    return 0;
}
