/* true.c - do nothing, successfully: exit status 0. Lab 7 (given). */
int main(void)
{
    return 0;
}
