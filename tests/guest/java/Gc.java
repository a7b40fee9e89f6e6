// javagc workload (tests/guest/matrix.sh start_java): allocate, then System.gc(), every 200 ms.
public class Gc {
    public static void main(String[] a) throws Exception {
        int n = a.length > 0 ? Integer.parseInt(a[0]) : 1000;
        for (int i = 0; i < n; i++) { byte[][] junk = new byte[64][]; for (int j = 0; j < 64; j++) junk[j] = new byte[16384]; System.gc(); Thread.sleep(200); }
    }
}
