// One FeS2 particle in pyrite's cubic habit: a square of half side s with
// corners rounded to radius rc, of the area of the 2.5 um disk of
// particle_in_box_2d.geo, its faces along the axes, centred in the 8 x 8
// electrolyte square with a 4 wide separator towards the Li counter
// electrode (x < -4). Units: um (ssbsim's default 'Mesh length unit').
// Ids (meshes/README.md): surfaces 1 particle, 2 electrolyte;
// curves 1 Li side, 2 current collector; other boundaries get id 0.
// The subdivision halves h: interface faces of 0.25 um, cells of 0.5 um in
// the box, as the solid cell's disk (inputs/fes2_solid_cube_2d.prm).
// Regenerate: gmsh -2 cube_in_box_2d.geo -format msh22 -o cube_in_box_2d.msh
s  = 2.228; // half side
rc = 0.5;   // corner radius
L = 4;      // half width of the electrolyte square
S = 4;      // separator thickness
h = 0.5;    // element size on the particle
hb = 1.0;   // on the box
a = s - rc;
// corner centres
Point(1) = { a,  a, 0, h};
Point(2) = {-a,  a, 0, h};
Point(3) = {-a, -a, 0, h};
Point(4) = { a, -a, 0, h};
// tangent points
Point(11) = { s, -a, 0, h}; Point(12) = { s,  a, 0, h};
Point(13) = { a,  s, 0, h}; Point(14) = {-a,  s, 0, h};
Point(15) = {-s,  a, 0, h}; Point(16) = {-s, -a, 0, h};
Point(17) = {-a, -s, 0, h}; Point(18) = { a, -s, 0, h};
Line(1) = {11, 12};
Circle(2) = {12, 1, 13};
Line(3) = {13, 14};
Circle(4) = {14, 2, 15};
Line(5) = {15, 16};
Circle(6) = {16, 3, 17};
Line(7) = {17, 18};
Circle(8) = {18, 4, 11};
Curve Loop(1) = {1, 2, 3, 4, 5, 6, 7, 8};
Plane Surface(1) = {1};

Point(21) = {-L - S, -L, 0, hb};
Point(22) = {L, -L, 0, hb};
Point(23) = {L, L, 0, hb};
Point(24) = {-L - S, L, 0, hb};
Line(21) = {21, 22};
Line(22) = {22, 23};
Line(23) = {23, 24};
Line(24) = {24, 21};
Curve Loop(2) = {21, 22, 23, 24};
Plane Surface(2) = {2, 1};

Physical Surface(1) = {1}; // particle
Physical Surface(2) = {2}; // electrolyte
Physical Curve(1) = {24};  // Li side
Physical Curve(2) = {22};  // current collector

Mesh.RecombineAll = 1;
Mesh.Algorithm = 6;
Mesh.SubdivisionAlgorithm = 1;
