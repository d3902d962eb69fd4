;; Cotangent CPU kernels: float32 matmul and a fused Adam update, WebAssembly SIMD (v128 / f32x4).
;;
;; Assembled by scripts/build-wasm.mjs into kernels.generated.ts; loaded by index.ts, which copies
;; operands into this module's memory, calls an export, and copies the result out.
;; All pointers are byte addresses in this memory, compared unsigned (the memory may exceed 2 GiB).
;;
;; Matmul follows the GotoBLAS / BLIS scheme:
;;   for each NC-wide column block of B and C
;;     for each KC-deep slice of the shared dimension
;;       pack that B block into NR-column panels          (kc x NR each, row by row)
;;       for each MC-tall row block of A and C
;;         pack that A block into MR-row panels           (kc x MR each, column by column)
;;         for each panel of B, for each panel of A: micro-kernel -> one MR x NR tile of C
;; Packing handles the transposes (any element strides) and the matrix edges (zero padding to
;; MR / NR), so the micro-kernel sees one layout and no remainders.
;; The micro-kernel keeps its 4 x 8 tile of C in 8 f32x4 accumulators (why this shape: see
;; $kernel_4x8). Its B micro-panel (KC x 8 floats = 8 KiB) stays in L1 while the A block
;; (MC x KC floats = 256 KiB) streams from L2; the packed B block (KC x NC) lives in L3.
;; Measured on an AMD EPYC (Zen 4) with Node 20, 1024^3: 4x8 ~39 GFLOP/s; 4x8 unrolled 2x ~29,
;; 4x16 ~29, 4x12 / 6x8 / 3x16 ~27, 8x8 / 5x8 ~23 (spills). KC 128..512, MC 64..512: within 5%.
;;
;; Block sizes (elements): MR = 4, NR = 8, KC = 256, MC = 256, NC = 4096.
;; The workspace (see $matmul_workspace_bytes) is: [C edge tile: MR*NR floats][packed A][packed B].
(module
  (memory (export "memory") 1)

  ;; Rounds $x up to a multiple of $to (a power of two).
  (func $round_up (param $x i32) (param $to i32) (result i32)
    (i32.and
      (i32.add (local.get $x) (i32.sub (local.get $to) (i32.const 1)))
      (i32.sub (i32.const 0) (local.get $to))))

  ;; The smaller of two unsigned values.
  (func $min_u (param $x i32) (param $y i32) (result i32)
    (select (local.get $x) (local.get $y) (i32.lt_u (local.get $x) (local.get $y))))

  ;; Bytes of workspace that matmul_f32 needs for an m x k by k x n product: the C edge tile
  ;; (MR*NR floats), packed A (round_up(min(m, MC), MR) x kc floats) and packed B
  ;; (round_up(min(n, NC), NR) x kc floats), kc = min(k, KC).
  (func $matmul_workspace_bytes (export "matmul_workspace_bytes")
    (param $m i32) (param $k i32) (param $n i32) (result i32)
    (i32.add
      (i32.const 128)
      (i32.mul
        (i32.mul
          (call $min_u (local.get $k) (i32.const 256))
          (i32.const 4))
        (i32.add
          (call $round_up (call $min_u (local.get $m) (i32.const 256)) (i32.const 4))
          (call $round_up (call $min_u (local.get $n) (i32.const 4096)) (i32.const 8))))))

  ;; Packs the kc x nc block of B at $src (element (p, j) at src + p*rs + j*cs bytes) into
  ;; ceil(nc / 8) panels at $dst. Panel q holds columns 8q..8q+7 as kc rows of 8 floats
  ;; (32 bytes); columns past nc are zero.
  ;; Loop: panels -> rows p -> (two v128 copies when the 8 columns are contiguous, else 8 scalars).
  ;; kc >= 1 (the row loops test at the bottom).
  (func $pack_b
    (param $src i32) (param $rs i32) (param $cs i32)
    (param $kc i32) (param $nc i32) (param $dst i32)
    (local $j i32) (local $cols i32) (local $jj i32)
    (local $row i32) (local $d i32) (local $end i32)
    (block $panels_done
      (loop $panels
        (br_if $panels_done (i32.ge_u (local.get $j) (local.get $nc)))
        (local.set $cols (call $min_u (i32.sub (local.get $nc) (local.get $j)) (i32.const 8)))
        ;; $row: address of B(0, j)
        (local.set $row (i32.add (local.get $src) (i32.mul (local.get $j) (local.get $cs))))
        (local.set $d (local.get $dst))
        (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 5))))
        (if (i32.and (i32.eq (local.get $cols) (i32.const 8)) (i32.eq (local.get $cs) (i32.const 4)))
          (then
            ;; Row-major B, full panel: each row of the panel is 32 contiguous bytes.
            (loop $rows
              (v128.store offset=0 (local.get $d) (v128.load offset=0 (local.get $row)))
              (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $row)))
              (local.set $row (i32.add (local.get $row) (local.get $rs)))
              (local.set $d (i32.add (local.get $d) (i32.const 32)))
              (br_if $rows (i32.lt_u (local.get $d) (local.get $end)))))
          (else
            ;; Transposed B or the last, partial panel: element by element, zero past nc.
            (loop $rows
              (local.set $jj (i32.const 0))
              (loop $cols_loop
                (f32.store (i32.add (local.get $d) (i32.shl (local.get $jj) (i32.const 2)))
                  (if (result f32) (i32.lt_u (local.get $jj) (local.get $cols))
                    (then (f32.load
                      (i32.add (local.get $row) (i32.mul (local.get $jj) (local.get $cs)))))
                    (else (f32.const 0))))
                (local.set $jj (i32.add (local.get $jj) (i32.const 1)))
                (br_if $cols_loop (i32.lt_u (local.get $jj) (i32.const 8))))
              (local.set $row (i32.add (local.get $row) (local.get $rs)))
              (local.set $d (i32.add (local.get $d) (i32.const 32)))
              (br_if $rows (i32.lt_u (local.get $d) (local.get $end))))))
        (local.set $dst (local.get $end))
        (local.set $j (i32.add (local.get $j) (i32.const 8)))
        (br $panels))))

  ;; Packs the mc x kc block of A at $src (element (i, p) at src + i*rs + p*cs bytes) into
  ;; ceil(mc / 4) panels at $dst. Panel r holds rows 4r..4r+3 as kc columns of 4 floats
  ;; (16 bytes, one per row); rows past mc are zero.
  ;; Loop: panels -> columns p -> (one v128 copy when the 4 rows are contiguous, else 4 scalars).
  ;; kc >= 1 (the column loops test at the bottom).
  (func $pack_a
    (param $src i32) (param $rs i32) (param $cs i32)
    (param $mc i32) (param $kc i32) (param $dst i32)
    (local $i i32) (local $rows i32) (local $ii i32)
    (local $col i32) (local $d i32) (local $end i32)
    (block $panels_done
      (loop $panels
        (br_if $panels_done (i32.ge_u (local.get $i) (local.get $mc)))
        (local.set $rows (call $min_u (i32.sub (local.get $mc) (local.get $i)) (i32.const 4)))
        ;; $col: address of A(i, 0)
        (local.set $col (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $rs))))
        (local.set $d (local.get $dst))
        (local.set $end (i32.add (local.get $dst) (i32.shl (local.get $kc) (i32.const 4))))
        (if (i32.and (i32.eq (local.get $rows) (i32.const 4)) (i32.eq (local.get $rs) (i32.const 4)))
          (then
            ;; Transposed A (stored k x m), full panel: each column is 16 contiguous bytes.
            (loop $cols
              (v128.store (local.get $d) (v128.load (local.get $col)))
              (local.set $col (i32.add (local.get $col) (local.get $cs)))
              (local.set $d (i32.add (local.get $d) (i32.const 16)))
              (br_if $cols (i32.lt_u (local.get $d) (local.get $end)))))
          (else
            ;; Row-major A or the last, partial panel: element by element, zero past mc.
            (loop $cols
              (local.set $ii (i32.const 0))
              (loop $rows_loop
                (f32.store (i32.add (local.get $d) (i32.shl (local.get $ii) (i32.const 2)))
                  (if (result f32) (i32.lt_u (local.get $ii) (local.get $rows))
                    (then (f32.load
                      (i32.add (local.get $col) (i32.mul (local.get $ii) (local.get $rs)))))
                    (else (f32.const 0))))
                (local.set $ii (i32.add (local.get $ii) (i32.const 1)))
                (br_if $rows_loop (i32.lt_u (local.get $ii) (i32.const 4))))
              (local.set $col (i32.add (local.get $col) (local.get $cs)))
              (local.set $d (i32.add (local.get $d) (i32.const 16)))
              (br_if $cols (i32.lt_u (local.get $d) (local.get $end))))))
        (local.set $dst (local.get $end))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $panels))))

  ;; Micro-kernel: the 4 x 8 tile of C at $c (rows $ldc bytes apart) = (or, when $accumulate, +=)
  ;; A panel x B panel over $kc >= 1 steps. $pa: kc columns of 4 floats (one per row of the tile),
  ;; $pb: kc rows of 8 floats. Accumulator $cIJ holds C(I, 4J..4J+3).
  ;; Loop, one step p per iteration: load row p of B (2 vectors), then for each of the 4 rows splat
  ;; A(i, p) (a broadcast load) and add A(i, p) * B(p, 0..7) into that row's 2 accumulators.
  ;; Not unrolled on purpose: TurboFan issues all of a loop body's loads first, so the live set is
  ;; 8 accumulators + 2 B rows + 4 splats + 1 product = 15 registers per step, exactly what V8 has
  ;; on x64; an unrolled body (or a bigger tile) spills to the stack and runs ~30% slower.
  (func $kernel_4x8
    (param $kc i32) (param $pa i32) (param $pb i32) (param $c i32) (param $ldc i32) (param $accumulate i32)
    (local $pa_end i32) (local $a v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128)
    (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128)
    (local $c30 v128) (local $c31 v128)
    (local.set $pa_end (i32.add (local.get $pa) (i32.shl (local.get $kc) (i32.const 4))))
    (loop $steps
      (local.set $b0 (v128.load offset=0 (local.get $pb)))
      (local.set $b1 (v128.load offset=16 (local.get $pb)))
      (local.set $a (v128.load32_splat offset=0 (local.get $pa)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=4 (local.get $pa)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=8 (local.get $pa)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $a (v128.load32_splat offset=12 (local.get $pa)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $a) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $a) (local.get $b1))))
      (local.set $pa (i32.add (local.get $pa) (i32.const 16)))
      (local.set $pb (i32.add (local.get $pb) (i32.const 32)))
      (br_if $steps (i32.lt_u (local.get $pa) (local.get $pa_end))))
    ;; Store the tile row by row; later KC slices add to what the earlier ones wrote.
    (if (local.get $accumulate)
      (then
        (local.set $c00 (f32x4.add (local.get $c00) (v128.load offset=0 (local.get $c))))
        (local.set $c01 (f32x4.add (local.get $c01) (v128.load offset=16 (local.get $c))))))
    (v128.store offset=0 (local.get $c) (local.get $c00))
    (v128.store offset=16 (local.get $c) (local.get $c01))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (if (local.get $accumulate)
      (then
        (local.set $c10 (f32x4.add (local.get $c10) (v128.load offset=0 (local.get $c))))
        (local.set $c11 (f32x4.add (local.get $c11) (v128.load offset=16 (local.get $c))))))
    (v128.store offset=0 (local.get $c) (local.get $c10))
    (v128.store offset=16 (local.get $c) (local.get $c11))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (if (local.get $accumulate)
      (then
        (local.set $c20 (f32x4.add (local.get $c20) (v128.load offset=0 (local.get $c))))
        (local.set $c21 (f32x4.add (local.get $c21) (v128.load offset=16 (local.get $c))))))
    (v128.store offset=0 (local.get $c) (local.get $c20))
    (v128.store offset=16 (local.get $c) (local.get $c21))
    (local.set $c (i32.add (local.get $c) (local.get $ldc)))
    (if (local.get $accumulate)
      (then
        (local.set $c30 (f32x4.add (local.get $c30) (v128.load offset=0 (local.get $c))))
        (local.set $c31 (f32x4.add (local.get $c31) (v128.load offset=16 (local.get $c))))))
    (v128.store offset=0 (local.get $c) (local.get $c30))
    (v128.store offset=16 (local.get $c) (local.get $c31)))

  ;; Writes (or, when $accumulate, adds) the top-left rows x cols of the 4 x 8 tile at $tile
  ;; (rows of 32 bytes) into C at $c (rows $ldc bytes apart). Used for tiles on C's edges.
  (func $merge_edge_tile
    (param $tile i32) (param $c i32) (param $ldc i32) (param $rows i32) (param $cols i32)
    (param $accumulate i32)
    (local $r i32) (local $j i32) (local $src i32) (local $dst i32) (local $value f32)
    (loop $rows_loop
      (local.set $j (i32.const 0))
      (loop $cols_loop
        (local.set $src (i32.add (local.get $tile)
          (i32.add (i32.shl (local.get $r) (i32.const 5)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $dst (i32.add (local.get $c)
          (i32.add (i32.mul (local.get $r) (local.get $ldc)) (i32.shl (local.get $j) (i32.const 2)))))
        (local.set $value (f32.load (local.get $src)))
        (if (local.get $accumulate)
          (then (local.set $value (f32.add (local.get $value) (f32.load (local.get $dst))))))
        (f32.store (local.get $dst) (local.get $value))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $cols_loop (i32.lt_u (local.get $j) (local.get $cols))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br_if $rows_loop (i32.lt_u (local.get $r) (local.get $rows)))))

  ;; C = op(A) @ op(B) for one m x k by k x n product; C is row-major m x n at $c (written, not
  ;; accumulated). Element (i, p) of op(A) is at a + i*a_rs + p*a_cs bytes, element (p, j) of op(B)
  ;; at b + p*b_rs + j*b_cs: transposes are just swapped strides. $work must have
  ;; matmul_workspace_bytes(m, k, n) bytes, not overlapping A, B or C.
  ;; Loops: jc (NC columns) -> pc (KC deep; pack B) -> ic (MC rows; pack A) -> jr (8 columns)
  ;;        -> ir (4 rows) -> micro-kernel. The first pc slice writes C, later ones add to it.
  (func $matmul_f32 (export "matmul_f32")
    (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $k i32) (param $n i32)
    (param $a_rs i32) (param $a_cs i32) (param $b_rs i32) (param $b_cs i32) (param $work i32)
    (local $ldc i32) (local $tile i32) (local $packed_a i32) (local $packed_b i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32)
    (local $ic i32) (local $mc i32) (local $jr i32) (local $ir i32) (local $accumulate i32)
    (local $panel_a i32) (local $panel_b i32) (local $c_tile i32) (local $rows i32) (local $cols i32)
    (local $p i32) (local $end i32)
    (if (i32.or (i32.eqz (local.get $m)) (i32.eqz (local.get $n))) (then (return)))
    (local.set $ldc (i32.shl (local.get $n) (i32.const 2)))
    (if (i32.eqz (local.get $k))
      (then
        ;; Empty sum: C is all zeros.
        (local.set $p (local.get $c))
        (local.set $end (i32.add (local.get $c) (i32.mul (local.get $m) (local.get $ldc))))
        (loop $zero
          (f32.store (local.get $p) (f32.const 0))
          (local.set $p (i32.add (local.get $p) (i32.const 4)))
          (br_if $zero (i32.lt_u (local.get $p) (local.get $end))))
        (return)))
    (local.set $tile (local.get $work))
    (local.set $packed_a (i32.add (local.get $work) (i32.const 128)))
    (local.set $packed_b (i32.add (local.get $packed_a)
      (i32.mul
        (call $round_up (call $min_u (local.get $m) (i32.const 256)) (i32.const 4))
        (i32.shl (call $min_u (local.get $k) (i32.const 256)) (i32.const 2)))))
    (loop $jc_loop
      (local.set $nc (call $min_u (i32.sub (local.get $n) (local.get $jc)) (i32.const 4096)))
      (local.set $pc (i32.const 0))
      (loop $pc_loop
        (local.set $kc (call $min_u (i32.sub (local.get $k) (local.get $pc)) (i32.const 256)))
        (local.set $accumulate (i32.ne (local.get $pc) (i32.const 0)))
        (call $pack_b
          (i32.add (local.get $b) (i32.add
            (i32.mul (local.get $pc) (local.get $b_rs)) (i32.mul (local.get $jc) (local.get $b_cs))))
          (local.get $b_rs) (local.get $b_cs) (local.get $kc) (local.get $nc)
          (local.get $packed_b))
        (local.set $ic (i32.const 0))
        (loop $ic_loop
          (local.set $mc (call $min_u (i32.sub (local.get $m) (local.get $ic)) (i32.const 256)))
          (call $pack_a
            (i32.add (local.get $a) (i32.add
              (i32.mul (local.get $ic) (local.get $a_rs)) (i32.mul (local.get $pc) (local.get $a_cs))))
            (local.get $a_rs) (local.get $a_cs) (local.get $mc) (local.get $kc)
            (local.get $packed_a))
          (local.set $jr (i32.const 0))
          (local.set $panel_b (local.get $packed_b))
          (loop $jr_loop
            (local.set $cols (call $min_u (i32.sub (local.get $nc) (local.get $jr)) (i32.const 8)))
            (local.set $ir (i32.const 0))
            (local.set $panel_a (local.get $packed_a))
            (loop $ir_loop
              (local.set $rows (call $min_u (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4)))
              ;; Address of C(ic + ir, jc + jr).
              (local.set $c_tile (i32.add (local.get $c) (i32.add
                (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                (i32.shl (i32.add (local.get $jc) (local.get $jr)) (i32.const 2)))))
              (if (i32.and (i32.eq (local.get $rows) (i32.const 4)) (i32.eq (local.get $cols) (i32.const 8)))
                (then
                  (call $kernel_4x8 (local.get $kc) (local.get $panel_a) (local.get $panel_b)
                    (local.get $c_tile) (local.get $ldc) (local.get $accumulate)))
                (else
                  ;; Edge tile: compute the full 4 x 8 tile aside, then keep the part inside C.
                  (call $kernel_4x8 (local.get $kc) (local.get $panel_a) (local.get $panel_b)
                    (local.get $tile) (i32.const 32) (i32.const 0))
                  (call $merge_edge_tile (local.get $tile) (local.get $c_tile) (local.get $ldc)
                    (local.get $rows) (local.get $cols) (local.get $accumulate))))
              (local.set $panel_a (i32.add (local.get $panel_a) (i32.shl (local.get $kc) (i32.const 4))))
              (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
              (br_if $ir_loop (i32.lt_u (local.get $ir) (local.get $mc))))
            (local.set $panel_b (i32.add (local.get $panel_b) (i32.shl (local.get $kc) (i32.const 5))))
            (local.set $jr (i32.add (local.get $jr) (i32.const 8)))
            (br_if $jr_loop (i32.lt_u (local.get $jr) (local.get $nc))))
          (local.set $ic (i32.add (local.get $ic) (i32.const 256)))
          (br_if $ic_loop (i32.lt_u (local.get $ic) (local.get $m))))
        (local.set $pc (i32.add (local.get $pc) (i32.const 256)))
        (br_if $pc_loop (i32.lt_u (local.get $pc) (local.get $k))))
      (local.set $jc (i32.add (local.get $jc) (i32.const 4096)))
      (br_if $jc_loop (i32.lt_u (local.get $jc) (local.get $n)))))

  ;; In-place Adam step on $len floats at $param, $grad, $m, $v:
  ;;   m = b1 m + (1 - b1) g;   v = b2 v + (1 - b2) g^2;   param -= lr_t m / (sqrt(v) * s + eps)
  ;; with lr_t = lr / c1 and s = 1 / sqrt(c2): the same as lr * mhat / (sqrt(vhat) + eps) with
  ;; mhat = m / c1, vhat = v / c2, one division per element. Scalars come in as f64 so the
  ;; derived ones are rounded once. Loop: 4 elements per f32x4 step, then a scalar tail.
  (func $adam_f32 (export "adam_f32")
    (param $param i32) (param $grad i32) (param $m i32) (param $v i32) (param $len i32)
    (param $lr f64) (param $beta1 f64) (param $beta2 f64) (param $eps f64) (param $c1 f64) (param $c2 f64)
    (local $b1 f32) (local $one_minus_b1 f32) (local $b2 f32) (local $one_minus_b2 f32)
    (local $lr_t f32) (local $s f32) (local $e f32)
    (local $i i32) (local $simd_end i32) (local $at i32)
    (local $g f32) (local $mi f32) (local $vi f32)
    (local $g4 v128) (local $m4 v128) (local $v4 v128)
    (local.set $b1 (f32.demote_f64 (local.get $beta1)))
    (local.set $one_minus_b1 (f32.demote_f64 (f64.sub (f64.const 1) (local.get $beta1))))
    (local.set $b2 (f32.demote_f64 (local.get $beta2)))
    (local.set $one_minus_b2 (f32.demote_f64 (f64.sub (f64.const 1) (local.get $beta2))))
    (local.set $lr_t (f32.demote_f64 (f64.div (local.get $lr) (local.get $c1))))
    (local.set $s (f32.demote_f64 (f64.div (f64.const 1) (f64.sqrt (local.get $c2)))))
    (local.set $e (f32.demote_f64 (local.get $eps)))
    (local.set $simd_end (i32.and (local.get $len) (i32.const -4)))
    (block $simd_done
      (loop $simd
        (br_if $simd_done (i32.ge_u (local.get $i) (local.get $simd_end)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $g4 (v128.load (i32.add (local.get $grad) (local.get $at))))
        (local.set $m4 (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $b1)) (v128.load (i32.add (local.get $m) (local.get $at))))
          (f32x4.mul (f32x4.splat (local.get $one_minus_b1)) (local.get $g4))))
        (local.set $v4 (f32x4.add
          (f32x4.mul (f32x4.splat (local.get $b2)) (v128.load (i32.add (local.get $v) (local.get $at))))
          (f32x4.mul (f32x4.splat (local.get $one_minus_b2))
            (f32x4.mul (local.get $g4) (local.get $g4)))))
        (v128.store (i32.add (local.get $m) (local.get $at)) (local.get $m4))
        (v128.store (i32.add (local.get $v) (local.get $at)) (local.get $v4))
        (v128.store (i32.add (local.get $param) (local.get $at))
          (f32x4.sub
            (v128.load (i32.add (local.get $param) (local.get $at)))
            (f32x4.div
              (f32x4.mul (f32x4.splat (local.get $lr_t)) (local.get $m4))
              (f32x4.add
                (f32x4.mul (f32x4.sqrt (local.get $v4)) (f32x4.splat (local.get $s)))
                (f32x4.splat (local.get $e))))))
        (local.set $i (i32.add (local.get $i) (i32.const 4)))
        (br $simd)))
    ;; Tail: the same arithmetic, one element at a time.
    (block $tail_done
      (loop $tail
        (br_if $tail_done (i32.ge_u (local.get $i) (local.get $len)))
        (local.set $at (i32.shl (local.get $i) (i32.const 2)))
        (local.set $g (f32.load (i32.add (local.get $grad) (local.get $at))))
        (local.set $mi (f32.add
          (f32.mul (local.get $b1) (f32.load (i32.add (local.get $m) (local.get $at))))
          (f32.mul (local.get $one_minus_b1) (local.get $g))))
        (local.set $vi (f32.add
          (f32.mul (local.get $b2) (f32.load (i32.add (local.get $v) (local.get $at))))
          (f32.mul (local.get $one_minus_b2) (f32.mul (local.get $g) (local.get $g)))))
        (f32.store (i32.add (local.get $m) (local.get $at)) (local.get $mi))
        (f32.store (i32.add (local.get $v) (local.get $at)) (local.get $vi))
        (f32.store (i32.add (local.get $param) (local.get $at))
          (f32.sub
            (f32.load (i32.add (local.get $param) (local.get $at)))
            (f32.div
              (f32.mul (local.get $lr_t) (local.get $mi))
              (f32.add
                (f32.mul (f32.sqrt (local.get $vi)) (local.get $s))
                (local.get $e)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail))))
)
