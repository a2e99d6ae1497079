/* false.c - do nothing, unsuccessfully: exit status 1. Lab 7 (given). */
int main(void)
{
    return 1;
}
